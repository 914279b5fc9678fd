# Kvasir-SEG (Jha et al., MMM 2020) with the 800/200 train/val split of the
# MicroAUNet reference: data/kvasir-seg/{train,val}/{images,masks}, JPEG masks
# thresholded at 128. The val part doubles as the test set.
_base_ = ['./binary_seg_folder.py']

dataset_type = 'KvasirSEGDataset'
data_root = 'data/kvasir-seg'

train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='train/images',
                         seg_map_path='train/masks')))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='val/images', seg_map_path='val/masks')))
test_dataloader = val_dataloader
