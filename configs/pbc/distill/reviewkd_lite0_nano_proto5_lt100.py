# Review KD (Chen et al. 2021) from the pretrained Lite0 teacher into the nano
# prototype student on PBC-LT100: the four stage maps and the pooled vector.
_base_ = ['./_base_/lite0_nano_proto5.py']
model = dict(distill_losses=dict(loss_reviewkd=_base_.reviewkd_loss))
