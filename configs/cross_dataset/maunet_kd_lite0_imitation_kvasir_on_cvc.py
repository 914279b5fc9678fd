# Cross-dataset test: the model trained by ../maunet/maunet_kd_lite0_imitation_kvasir.py,
# evaluated on all of CVC-ClinicDB. Use with tools/test.py and the Kvasir-SEG checkpoint.
_base_ = ['../maunet/maunet_kd_lite0_imitation_kvasir.py']
test_dataloader = dict(dataset=dict(
    type='CVCClinicDBDataset', data_root='data/cvc-clinicdb', data_prefix=None,
    split='all'))
