# Copyright (c) medproto contributors. All rights reserved.
import math

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from sklearn.metrics import confusion_matrix, f1_score, jaccard_score

import medproto  # noqa: F401  (before mmseg)
from medproto.evaluation import BinarySegMetric
from mmseg.evaluation import IoUMetric  # noqa: E402
from mmseg.structures import SegDataSample  # noqa: E402


def make_sample(gt, seg_logits=None, pred_sem_seg=None):
    """A SegDataSample turned into a dict, as mmengine's Evaluator does."""
    sample = SegDataSample()
    sample.gt_sem_seg = PixelData(data=torch.as_tensor(gt)[None].long())
    if seg_logits is not None:
        sample.seg_logits = PixelData(data=torch.as_tensor(seg_logits))
    if pred_sem_seg is not None:
        sample.pred_sem_seg = PixelData(
            data=torch.as_tensor(pred_sem_seg)[None].long())
    return sample.to_dict()


def run_metric(samples, **kwargs):
    metric = BinarySegMetric(**kwargs)
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def random_set(seed=0, sizes=((12, 9), (7, 15), (10, 10))):
    rng = np.random.default_rng(seed)
    probs = [rng.random(size).astype(np.float32) for size in sizes]
    gts = [(rng.random(size) < 0.4).astype(np.int64) for size in sizes]
    return probs, gts


def sklearn_reference(probs, gts, threshold=0.5):
    y_pred = np.concatenate([(p >= threshold).ravel() for p in probs])
    y_true = np.concatenate([g.ravel() for g in gts]).astype(bool)
    tn, fp, fn, tp = confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel()
    per_image_dice = [
        f1_score(g.ravel(), (p >= threshold).ravel(), zero_division=1.0)
        for p, g in zip(probs, gts)
    ]
    per_image_iou = [
        jaccard_score(g.ravel(), (p >= threshold).ravel(), zero_division=1.0)
        for p, g in zip(probs, gts)
    ]
    return dict(Dice=f1_score(y_true, y_pred),
                IoU=jaccard_score(y_true, y_pred),
                mIoU=jaccard_score(y_true, y_pred, average='macro'),
                mDice=f1_score(y_true, y_pred, average='macro'),
                Accuracy=(tp + tn) / y_true.size,
                Sensitivity=tp / (tp + fn),
                Specificity=tn / (tn + fp),
                Precision=tp / (tp + fp),
                mDice_per_image=np.mean(per_image_dice),
                mIoU_per_image=np.mean(per_image_iou))


def assert_matches(result, reference):
    assert set(result) == set(reference)
    for key, value in reference.items():
        assert result[key] == pytest.approx(100 * value, abs=1e-9), key


@pytest.mark.parametrize('threshold', [0.5, 0.3, 0.8])
def test_one_channel_probabilities_match_sklearn(threshold):
    probs, gts = random_set()
    samples = [make_sample(g, seg_logits=p[None]) for p, g in zip(probs, gts)]
    result = run_metric(samples, threshold=threshold)
    assert_matches(result, sklearn_reference(probs, gts, threshold))


def test_threshold_is_inclusive_and_changes_result():
    gt = np.array([[1, 1, 0, 0]])
    prob = np.array([[[0.5, 0.2, 0.5, 0.1]]], dtype=np.float32)
    low = run_metric([make_sample(gt, seg_logits=prob)], threshold=0.5)
    # p >= 0.5 -> TP=1, FP=1, FN=1 -> Dice 2/4
    assert low['Dice'] == pytest.approx(50.0)
    high = run_metric([make_sample(gt, seg_logits=prob)], threshold=0.6)
    assert high['Dice'] == 0.0


def test_one_channel_logits_and_two_channel_logits():
    probs, gts = random_set(seed=1)
    reference = sklearn_reference(probs, gts)
    logits = [np.log(p / (1 - p)) for p in probs]
    one = [make_sample(g, seg_logits=x[None]) for x, g in zip(logits, gts)]
    assert_matches(run_metric(one, one_channel_scores='logit'), reference)
    # softmax([0, x])[1] == sigmoid(x)
    two = [
        make_sample(g, seg_logits=np.stack([np.zeros_like(x), x]))
        for x, g in zip(logits, gts)
    ]
    assert_matches(run_metric(two), reference)


def test_one_channel_logits_read_as_probabilities_raise():
    gt = np.zeros((4, 4), dtype=np.int64)
    logits = np.full((1, 4, 4), -3.0, dtype=np.float32)
    with pytest.raises(ValueError, match='one_channel_scores'):
        run_metric([make_sample(gt, seg_logits=logits)])


def test_pred_sem_seg_source_and_mmseg_iou_metric_agree():
    probs, gts = random_set(seed=2)
    preds = [(p >= 0.5).astype(np.int64) for p in probs]
    samples = [make_sample(g, pred_sem_seg=q) for q, g in zip(preds, gts)]
    result = run_metric(samples)
    assert_matches(result, sklearn_reference(probs, gts))

    iou_metric = IoUMetric(iou_metrics=['mIoU', 'mDice'])
    iou_metric.dataset_meta = dict(classes=('background', 'foreground'))
    iou_metric.process({}, samples)
    mmseg_result = iou_metric.compute_metrics(iou_metric.results)
    for key, ours in (('mIoU', 'mIoU'), ('mDice', 'mDice'), ('aAcc',
                                                             'Accuracy')):
        assert result[ours] == pytest.approx(mmseg_result[key], abs=0.006)


def test_pred_source_selects_field():
    gt = np.array([[1, 0]])
    sample = make_sample(gt,
                         seg_logits=np.array([[[0.9, 0.1]]]),
                         pred_sem_seg=np.array([[0, 1]]))
    assert run_metric([sample])['Dice'] == 100.0
    assert run_metric([sample], pred_source='pred_sem_seg')['Dice'] == 0.0
    only_pred = make_sample(gt, pred_sem_seg=np.array([[1, 0]]))
    with pytest.raises(KeyError, match='seg_logits'):
        run_metric([only_pred], pred_source='seg_logits')


def test_empty_conventions():
    empty = np.zeros((5, 5), dtype=np.int64)
    hit = np.eye(5, dtype=np.int64)
    samples = [
        make_sample(empty, seg_logits=np.zeros((1, 5, 5))),  # both empty
        make_sample(hit, seg_logits=hit[None].astype(float)),  # perfect
        make_sample(hit, seg_logits=np.zeros((1, 5, 5))),  # all missed
    ]
    result = run_metric(samples)
    assert result['mDice_per_image'] == pytest.approx(100 * 2 / 3)
    assert result['mIoU_per_image'] == pytest.approx(100 * 2 / 3)
    assert result['Dice'] == pytest.approx(100 * 10 / 15)

    only_empty = run_metric(
        [make_sample(empty, seg_logits=np.zeros((1, 5, 5)))])
    assert not any(math.isnan(v) for v in only_empty.values())
    assert only_empty['Dice'] == 0.0 and only_empty['IoU'] == 0.0
    assert only_empty['Sensitivity'] == 0.0
    assert only_empty['Precision'] == 0.0
    assert only_empty['Specificity'] == 100.0
    assert only_empty['mDice_per_image'] == 100.0
    assert only_empty['mIoU'] == 50.0


def test_ignore_index_pixels_are_not_counted():
    gt = np.array([[1, 0, 255, 255]])
    prob = np.array([[[0.9, 0.1, 0.9, 0.1]]])
    result = run_metric([make_sample(gt, seg_logits=prob)])
    assert result['Accuracy'] == 100.0 and result['Dice'] == 100.0
    with pytest.raises(ValueError, match='0/255'):
        run_metric([make_sample(gt, seg_logits=prob)], ignore_index=None)


def test_shape_mismatch_and_bad_layout_raise():
    gt = np.zeros((4, 4), dtype=np.int64)
    with pytest.raises(ValueError, match='ori_shape'):
        run_metric([make_sample(gt, seg_logits=np.zeros((1, 4, 5)))])
    with pytest.raises(ValueError, match=r'\(2, H, W\)'):
        run_metric([make_sample(gt, seg_logits=np.zeros((3, 4, 4)))])


@pytest.mark.parametrize('kwargs, name', [
    (dict(threshold=1.5), 'threshold'),
    (dict(threshold=0), 'threshold'),
    (dict(pred_source='argmax'), 'pred_source'),
    (dict(one_channel_scores='sigmoid'), 'one_channel_scores'),
])
def test_invalid_settings_name_the_setting(kwargs, name):
    with pytest.raises(ValueError, match=name):
        BinarySegMetric(**kwargs)


def test_built_from_mmseg_registry_through_evaluator():
    init_default_scope('mmseg')
    probs, gts = random_set(seed=3)
    evaluator = Evaluator(dict(type='BinarySegMetric', prefix='val'))
    for p, g in zip(probs, gts):
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=torch.as_tensor(g)[None])
        sample.seg_logits = PixelData(data=torch.as_tensor(p)[None])
        evaluator.process([sample])
    stored = evaluator.metrics[0].results
    # one small tuple of int counts per image, as collect_results needs
    assert len(stored) == len(probs)
    assert all(len(r) == 4 and all(type(v) is int for v in r) for r in stored)
    result = evaluator.evaluate(len(probs))
    expected = sklearn_reference(probs, gts)
    assert result['val/Dice'] == pytest.approx(100 * expected['Dice'])


def test_counts_file_has_one_row_per_image_that_sums_to_the_metric(tmp_path):
    probs, gts = random_set(seed=3)
    samples = [dict(make_sample(g, seg_logits=p[None]), img_path=f'{i}.png')
               for i, (p, g) in enumerate(zip(probs, gts))]
    out = tmp_path / 'sub' / 'counts.csv'
    metrics = run_metric(samples, counts_file=str(out))
    rows = np.genfromtxt(out, delimiter=',', skip_header=1,
                         dtype=None, encoding=None)
    assert [r[0] for r in rows] == ['0.png', '1.png', '2.png']
    tp, fp, fn = (sum(int(r[k]) for r in rows) for k in (1, 2, 3))
    assert metrics['Dice'] == pytest.approx(100 * 2 * tp / (2 * tp + fp + fn))
    for (p, g), r in zip(zip(probs, gts), rows):
        assert int(r[1]) == int(((p >= 0.5) & (g == 1)).sum())
        assert int(r[1]) + int(r[2]) + int(r[3]) + int(r[4]) == g.size
