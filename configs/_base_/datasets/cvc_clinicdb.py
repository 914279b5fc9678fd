# CVC-ClinicDB (Bernal et al., CMIG 2015): data/cvc-clinicdb in the original
# PNG/Original + PNG/Ground Truth layout (TIF and flat images/ + masks/ are
# detected too: data_prefix=None lets the dataset find its layout). There is
# no official split: a seeded 80/20 partition is used; the val part doubles
# as the test set.
_base_ = ['./binary_seg_folder.py']

dataset_type = 'CVCClinicDBDataset'
data_root = 'data/cvc-clinicdb'

train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=None,
        split='train',
        val_ratio=0.2,
        seed=42))
# The other part of the same seeded partition.
val_dataloader = dict(dataset=dict(train_dataloader['dataset'], split='val'))
test_dataloader = val_dataloader
