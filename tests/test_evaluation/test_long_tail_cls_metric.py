# Copyright (c) medproto contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from sklearn.metrics import (accuracy_score, balanced_accuracy_score, f1_score,
                             recall_score, roc_auc_score)

import medproto  # noqa: F401
from medproto.evaluation import LongTailClsMetric
from medproto.evaluation.functional import split_classes
from mmpretrain.registry import METRICS  # noqa: E402
from mmpretrain.structures import DataSample  # noqa: E402


def random_scores(num=60, num_classes=5, seed=0, absent=()):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_classes, num)
    for c in absent:
        labels[labels == c] = (c + 1) % num_classes
    logits = rng.normal(size=(num, num_classes))
    logits[np.arange(num), labels] += 1.0  # better than chance
    scores = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return scores.astype(np.float32), labels


def run_metric(scores, labels, dataset_meta=None, **kwargs):
    metric = LongTailClsMetric(**kwargs)
    metric.dataset_meta = dataset_meta
    samples = [
        DataSample().set_pred_score(torch.from_numpy(s)).set_gt_label(
            int(y)).to_dict() for s, y in zip(scores, labels)
    ]
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def test_matches_sklearn_on_random_data():
    scores, labels = random_scores()
    preds = scores.argmax(1)
    result = run_metric(scores, labels)
    assert result['top1'] == pytest.approx(100 * accuracy_score(labels, preds))
    assert result['macro_f1'] == pytest.approx(
        100 * f1_score(labels, preds, average='macro'))
    assert result['macro_auc'] == pytest.approx(
        100 *
        roc_auc_score(labels, scores, multi_class='ovr', average='macro'))
    assert result['mean_recall'] == pytest.approx(
        100 * balanced_accuracy_score(labels, preds))
    for c, value in enumerate(recall_score(labels, preds, average=None)):
        assert result[f'recall/{c}'] == pytest.approx(100 * value)


def test_auc_with_tied_scores():
    scores = np.array([[0.5, 0.5], [0.5, 0.5], [0.8, 0.2], [0.2, 0.8]],
                      dtype=np.float32)
    labels = np.array([0, 1, 0, 1])
    result = run_metric(scores, labels)
    assert result['macro_auc'] == pytest.approx(
        100 * roc_auc_score(labels, scores[:, 1]))


def test_absent_class_is_skipped():
    scores, labels = random_scores(num_classes=4, absent=(2, ), seed=1)
    result = run_metric(scores,
                        labels,
                        dataset_meta=dict(classes=('a', 'b', 'c', 'd')))
    present = [0, 1, 3]
    expected_auc = np.mean(
        [roc_auc_score(labels == c, scores[:, c]) for c in present])
    assert result['macro_auc'] == pytest.approx(100 * expected_auc)
    assert 'recall/c' not in result and 'recall/a' in result
    preds = scores.argmax(1)
    assert result['mean_recall'] == pytest.approx(
        100 *
        np.mean(recall_score(labels, preds, labels=present, average=None)))
    assert result['macro_f1'] == pytest.approx(
        100 * f1_score(labels, preds, average='macro'))


def test_head_medium_tail_recall_by_count():
    counts = [500, 101, 100, 20, 19, 3]
    scores, labels = random_scores(num=120, num_classes=6, seed=2)
    result = run_metric(scores, labels, class_counts=counts)
    recalls = recall_score(labels, scores.argmax(1), average=None)
    assert result['many_recall'] == pytest.approx(100 * recalls[:2].mean())
    assert result['medium_recall'] == pytest.approx(100 * recalls[2:4].mean())
    assert result['few_recall'] == pytest.approx(100 * recalls[4:].mean())


def test_counts_from_dataset_meta_and_rank_split():
    counts = [7, 300, 40, 40, 2, 90, 10]
    groups = split_classes(counts, split_by='rank')
    assert groups['many'].tolist() == [1, 5, 2]
    assert groups['medium'].tolist() == [3, 6]
    assert groups['few'].tolist() == [0, 4]
    scores, labels = random_scores(num=100, num_classes=7, seed=3)
    result = run_metric(scores,
                        labels,
                        split_by='rank',
                        dataset_meta=dict(class_counts=counts))
    recalls = recall_score(labels, scores.argmax(1), average=None)
    assert result['many_recall'] == pytest.approx(100 *
                                                  recalls[[1, 5, 2]].mean())
    assert result['few_recall'] == pytest.approx(100 * recalls[[0, 4]].mean())


def test_group_without_present_class_and_no_counts():
    scores, labels = random_scores(num_classes=3, absent=(2, ), seed=4)
    result = run_metric(scores, labels, class_counts=[500, 50, 5])
    assert 'few_recall' not in result and 'many_recall' in result
    assert not any(
        k.endswith('_recall') and k != 'mean_recall'
        for k in run_metric(scores, labels))


@pytest.mark.parametrize('kwargs, name', [
    (dict(split_by='quantile'), 'split_by'),
    (dict(many_threshold=10, few_threshold=20), 'few_threshold'),
    (dict(class_counts=[3, -1]), 'class_counts'),
    (dict(class_counts=[1.5, 2.0]), 'class_counts'),
])
def test_invalid_settings_name_the_setting(kwargs, name):
    with pytest.raises(ValueError, match=name):
        LongTailClsMetric(**kwargs)


def test_count_length_mismatch_raises():
    scores, labels = random_scores(num_classes=3)
    with pytest.raises(ValueError, match='class_counts'):
        run_metric(scores, labels, class_counts=[1, 2])


def test_registered_in_mmpretrain():
    init_default_scope('mmpretrain')
    metric = METRICS.build(dict(type='LongTailClsMetric', split_by='rank'))
    assert isinstance(metric, LongTailClsMetric)


def test_macro_auc_of_a_one_class_set_is_undefined_not_zero():
    scores, _ = random_scores(num=8, num_classes=3)
    labels = np.zeros(8, dtype=np.int64)
    with pytest.warns(Warning):  # sklearn: undefined (nan) too
        assert np.isnan(roc_auc_score(labels == 0, scores[:, 0]))
    result = run_metric(scores, labels)
    assert np.isnan(result['macro_auc'])
    assert result['top1'] == pytest.approx(
        100 * accuracy_score(labels, scores.argmax(1)))
