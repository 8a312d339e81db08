//! Brent's root finder (Brent 1973, `zeroin`), step for step as R's `uniroot` runs it, so that
//! an interval found on a step function (the rank statistic) lands where R's lands.

/// A root of `f` in `[a, b]`, given `fa = f(a)` and `fb = f(b)` of opposite signs (or one of
/// them zero), to within `tol`; at most `max_iter` evaluations of `f`.
pub(crate) fn zeroin(
    a: f64,
    b: f64,
    fa: f64,
    fb: f64,
    tol: f64,
    max_iter: u32,
    mut f: impl FnMut(f64) -> f64,
) -> f64 {
    let (mut a, mut b, mut fa, mut fb) = (a, b, fa, fb);
    let (mut c, mut fc) = (a, fa);
    if fa == 0.0 {
        return a;
    }
    if fb == 0.0 {
        return b;
    }
    for _ in 0..=max_iter {
        let prev_step = b - a;
        if fc.abs() < fb.abs() {
            // b is the best approximation so far
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol_act = 2.0 * f64::EPSILON * b.abs() + tol / 2.0;
        let mut new_step = (c - b) / 2.0;
        if new_step.abs() <= tol_act || fb == 0.0 {
            return b;
        }
        if prev_step.abs() >= tol_act && fa.abs() > fb.abs() {
            // interpolation: linear with two distinct points, inverse quadratic with three
            let cb = c - b;
            let (mut p, mut q);
            if a == c {
                let t1 = fb / fa;
                p = cb * t1;
                q = 1.0 - t1;
            } else {
                let qa = fa / fc;
                let t1 = fb / fc;
                let t2 = fb / fa;
                p = t2 * (cb * qa * (qa - t1) - (b - a) * (t1 - 1.0));
                q = (qa - 1.0) * (t1 - 1.0) * (t2 - 1.0);
            }
            if p > 0.0 {
                q = -q;
            } else {
                p = -p;
            }
            if p < 0.75 * cb * q - (tol_act * q).abs() / 2.0 && p < (prev_step * q / 2.0).abs() {
                new_step = p / q;
            }
        }
        if new_step.abs() < tol_act {
            new_step = if new_step > 0.0 { tol_act } else { -tol_act };
        }
        a = b;
        fa = fb;
        b += new_step;
        fb = f(b);
        if (fb > 0.0 && fc > 0.0) || (fb < 0.0 && fc < 0.0) {
            c = a;
            fc = fa;
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_smooth_root_and_an_endpoint() {
        let f = |x: f64| x * x - 2.0;
        let r = zeroin(0.0, 2.0, f(0.0), f(2.0), 1e-12, 1000, f);
        assert!((r - 2f64.sqrt()).abs() < 1e-11, "{r}");
        assert_eq!(zeroin(0.0, 1.0, 0.0, 1.0, 1e-4, 1000, |x| x), 0.0);
    }
}
