//! Pan laws (mono sources) and balance (stereo sources and buses).
//!
//! Position `pos` is 0 = hard left, 0.5 = centre, 1 = hard right. Every law
//! gives (1, 0) hard left and (0, 1) hard right; they differ at the centre.

use std::f64::consts::FRAC_PI_2;

/// How much a centred mono source is attenuated in each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PanLaw {
    /// 0 dB at centre: each side stays at unity until the other half of the
    /// travel (`min(1, 2 (1 - p))`, `min(1, 2 p)`): a centred source is 3 dB
    /// louder than a hard-panned one.
    Zero,
    /// -3 dB constant power (`cos`, `sin` of `p * pi / 2`): the default.
    #[default]
    Minus3,
    /// -4.5 dB compromise: the geometric mean of the -3 and -6 dB laws.
    Minus4_5,
    /// -6 dB linear (`1 - p`, `p`): constant amplitude, mono-compatible.
    Minus6,
}

impl PanLaw {
    /// The centre attenuation in dB, as users name the law (0, -3, -4.5, -6).
    pub fn centre_db(self) -> f64 {
        match self {
            PanLaw::Zero => 0.0,
            PanLaw::Minus3 => -3.0,
            PanLaw::Minus4_5 => -4.5,
            PanLaw::Minus6 => -6.0,
        }
    }

    /// The law a user names by its centre attenuation; `None` if there is none.
    pub fn from_centre_db(db: f64) -> Option<PanLaw> {
        [
            PanLaw::Zero,
            PanLaw::Minus3,
            PanLaw::Minus4_5,
            PanLaw::Minus6,
        ]
        .into_iter()
        .find(|law| (law.centre_db() - db).abs() < 1e-9)
    }

    /// Left and right gains (linear) for a mono source at `pos`.
    pub fn gains(self, pos: f64) -> (f64, f64) {
        let p = if pos.is_nan() {
            0.5
        } else {
            pos.clamp(0.0, 1.0)
        };
        let (cl, cr) = ((p * FRAC_PI_2).cos(), (p * FRAC_PI_2).sin());
        match self {
            PanLaw::Zero => balance_gains(p),
            PanLaw::Minus3 => (cl, cr),
            PanLaw::Minus4_5 => ((cl * (1.0 - p)).sqrt(), (cr * p).sqrt()),
            PanLaw::Minus6 => (1.0 - p, p),
        }
    }
}

/// Left and right gains for a stereo source's balance control: the side
/// being panned towards stays at unity, the other fades linearly to zero.
pub fn balance_gains(pos: f64) -> (f64, f64) {
    let p = if pos.is_nan() {
        0.5
    } else {
        pos.clamp(0.0, 1.0)
    };
    ((2.0 * (1.0 - p)).min(1.0), (2.0 * p).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::amp_to_db;

    #[test]
    fn centre_attenuation_matches_the_law_name() {
        for law in [
            PanLaw::Zero,
            PanLaw::Minus3,
            PanLaw::Minus4_5,
            PanLaw::Minus6,
        ] {
            let (l, r) = law.gains(0.5);
            assert!((l - r).abs() < 1e-12);
            // The named figures are rounded: -3.01, -4.52, -6.02 dB exactly.
            assert!(
                (amp_to_db(l) - law.centre_db()).abs() < 0.03,
                "{law:?}: {}",
                amp_to_db(l)
            );
        }
        assert!((PanLaw::Minus3.gains(0.5).0 - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12);
        assert_eq!(PanLaw::Minus6.gains(0.5), (0.5, 0.5));
        assert_eq!(PanLaw::Zero.gains(0.5), (1.0, 1.0));
    }

    #[test]
    fn extremes_are_one_sided() {
        for law in [
            PanLaw::Zero,
            PanLaw::Minus3,
            PanLaw::Minus4_5,
            PanLaw::Minus6,
        ] {
            let (l, r) = law.gains(0.0);
            assert!(
                (l - 1.0).abs() < 1e-12 && r.abs() < 1e-12,
                "{law:?} left: {l} {r}"
            );
            let (l, r) = law.gains(1.0);
            assert!(
                l.abs() < 1e-7 && (r - 1.0).abs() < 1e-12,
                "{law:?} right: {l} {r}"
            );
        }
    }

    #[test]
    fn constant_power_keeps_power_constant() {
        for i in 0..=100 {
            let (l, r) = PanLaw::Minus3.gains(i as f64 / 100.0);
            assert!((l * l + r * r - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn balance_keeps_the_near_side_at_unity() {
        assert_eq!(balance_gains(0.5), (1.0, 1.0));
        assert_eq!(balance_gains(0.25), (1.0, 0.5));
        assert_eq!(balance_gains(1.0), (0.0, 1.0));
    }

    #[test]
    fn laws_are_named_by_centre_db() {
        assert_eq!(PanLaw::from_centre_db(-4.5), Some(PanLaw::Minus4_5));
        assert_eq!(PanLaw::from_centre_db(-2.0), None);
    }
}
