# Curriculum distillation MALUNet -> MAUNet on CVC-ClinicDB: the Kvasir-SEG
# recipe with CVC-ClinicDB data (seeded 80/20 split) and the CVC teacher.
_base_ = ['./maunet_kd_kvasir.py']

_cvc = dict(type='CVCClinicDBDataset', data_root='data/cvc-clinicdb',
            data_prefix=None, val_ratio=0.2, seed=42)
train_dataloader = dict(dataset=dict(split='train', **_cvc))
val_dataloader = dict(dataset=dict(split='val', **_cvc))
test_dataloader = val_dataloader

model = dict(
    teacher=dict(cfg_path='medproto::malunet/malunet_cvc.py'),
    teacher_ckpt='work_dirs/malunet_cvc/best_Dice_iter_*.pth')
