//! Model2Vec-style distillation of a [`Bert`] into a [`StaticTable`].
//!
//! Recipe: for every vocabulary id run the transformer on `[CLS] token [SEP]`
//! and mean-pool all three positions; PCA to `dims` (centre, f64 covariance,
//! cyclic Jacobi eigen-decomposition, eigenvectors sorted by eigenvalue and
//! sign-fixed so their largest-magnitude component is positive); then weight
//! row `i` by `w_i = 1e-4 / (1e-4 + p_i)` with the Zipf prior
//! `p_i = (1/(i+2)) / Σ_k 1/(k+2)`. Every step is deterministic, so the output
//! is bit-identical across runs and thread counts (on the same CPU features).

use ndarray::Array2;

use crate::EmbedError;
use crate::bert::Bert;
use crate::static_model::StaticTable;

/// SIF coefficient of the Zipf weighting.
const SIF_COEFFICIENT: f64 = 1e-4;

/// Distills the whole vocabulary of `bert` into a `vocab_size × dims` table.
pub fn distill(bert: &Bert, dims: usize) -> Result<StaticTable, EmbedError> {
    distill_first(bert, bert.vocab_size(), dims)
}

/// Distills only the first `n` vocabulary ids (for tests and experiments).
pub fn distill_first(bert: &Bert, n: usize, dims: usize) -> Result<StaticTable, EmbedError> {
    let hidden = bert.hidden_size();
    if n == 0 || n > bert.vocab_size() {
        return Err(EmbedError::InvalidArgument(format!(
            "cannot distill {n} of {} ids",
            bert.vocab_size()
        )));
    }
    if dims == 0 || dims > hidden {
        return Err(EmbedError::InvalidArgument(format!(
            "dims must be in 1..={hidden}, got {dims}"
        )));
    }
    let batch: Vec<Vec<u32>> = (0..n as u32).map(|id| vec![id]).collect();
    let pooled = bert.mean_pooled(&batch);

    // Centre (f64).
    let mut x = Array2::<f64>::zeros((n, hidden));
    for (mut row, v) in x.rows_mut().into_iter().zip(&pooled) {
        for (o, &p) in row.iter_mut().zip(v) {
            *o = f64::from(p);
        }
    }
    let mean = x.sum_axis(ndarray::Axis(0)) / n as f64;
    for mut row in x.rows_mut() {
        row -= &mean;
    }
    let denom = if n > 1 { (n - 1) as f64 } else { 1.0 };
    let cov = x.t().dot(&x) / denom;

    let (values, vectors) = jacobi_eigen(cov);
    let mut order: Vec<usize> = (0..hidden).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    let mut basis = Array2::<f64>::zeros((hidden, dims));
    for (j, &src) in order.iter().take(dims).enumerate() {
        let col = vectors.column(src);
        // Sign: largest-magnitude component positive (first one on ties).
        let mut best = 0;
        for (i, v) in col.iter().enumerate() {
            if v.abs() > col[best].abs() {
                best = i;
            }
        }
        let sign = if col[best] < 0.0 { -1.0 } else { 1.0 };
        for (i, v) in col.iter().enumerate() {
            basis[[i, j]] = sign * v;
        }
    }
    let projected = x.dot(&basis);

    // Zipf / SIF weighting by vocabulary rank.
    let norm: f64 = (0..n).map(|k| 1.0 / (k as f64 + 2.0)).sum();
    let mut data = Vec::with_capacity(n * dims);
    for (i, row) in projected.rows().into_iter().enumerate() {
        let p = (1.0 / (i as f64 + 2.0)) / norm;
        let w = SIF_COEFFICIENT / (SIF_COEFFICIENT + p);
        data.extend(row.iter().map(|&v| (v * w) as f32));
    }
    StaticTable::new(n, dims, data)
}

/// Eigen-decomposition of a symmetric matrix by the cyclic Jacobi method.
/// Returns the eigenvalues and a matrix whose columns are the eigenvectors.
fn jacobi_eigen(mut a: Array2<f64>) -> (Vec<f64>, Array2<f64>) {
    let n = a.nrows();
    let mut v = Array2::<f64>::eye(n);
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|p| (p + 1..n).map(move |q| (p, q)))
            .map(|(p, q)| a[[p, q]] * a[[p, q]])
            .sum();
        let diag: f64 = (0..n).map(|i| a[[i, i]] * a[[i, i]]).sum();
        if off <= 1e-30 * diag.max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[[p, q]];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let app = a[[p, p]];
                let aqq = a[[q, q]];
                let theta = (aqq - app) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                // A ← Jᵀ A J, rotating rows/columns p and q.
                for k in 0..n {
                    let akp = a[[k, p]];
                    let akq = a[[k, q]];
                    a[[k, p]] = c * akp - s * akq;
                    a[[k, q]] = s * akp + c * akq;
                }
                for k in 0..n {
                    let apk = a[[p, k]];
                    let aqk = a[[q, k]];
                    a[[p, k]] = c * apk - s * aqk;
                    a[[q, k]] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let vkp = v[[k, p]];
                    let vkq = v[[k, q]];
                    v[[k, p]] = c * vkp - s * vkq;
                    v[[k, q]] = s * vkp + c * vkq;
                }
            }
        }
    }
    let values = (0..n).map(|i| a[[i, i]]).collect();
    (values, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_diagonalises() {
        let a = ndarray::arr2(&[[4.0, 1.0, 2.0], [1.0, 3.0, 0.5], [2.0, 0.5, 5.0]]);
        let (vals, vecs) = jacobi_eigen(a.clone());
        for (j, val) in vals.iter().enumerate() {
            let col = vecs.column(j).to_owned();
            let av = a.dot(&col);
            for (x, c) in av.iter().zip(&col) {
                assert!((x - val * c).abs() < 1e-10);
            }
        }
        let trace: f64 = vals.iter().sum();
        assert!((trace - 12.0).abs() < 1e-10);
    }
}
