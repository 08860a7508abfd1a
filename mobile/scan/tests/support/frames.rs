//! Generated 640×480 "wristband photos": a QR wristband payload on a light band across a textured
//! background, rendered through a rotation/perspective transform with 2×2 supersampling, then
//! blurred (Gaussian), noised and contrast-reduced per image class. Deterministic: the same class
//! and index always give the same frame. Shared by the camera tests and the decoder benchmark.

#![allow(dead_code)]

use image::{GrayImage, Luma};
use qrcode::{Color, EcLevel, QrCode};
use sha2::{Digest, Sha256};

pub const WIDTH: u32 = 640;
pub const HEIGHT: u32 = 480;

/// A wristband payload, `OPW1-<8-digit serial>-<check>`, check = the first 4 characters of the
/// Crockford base32 of SHA-256("outpost-wristband-v1:" + serial).
pub fn payload(serial: u32) -> String {
    let serial = format!("{serial:08}");
    let digest = Sha256::digest(format!("outpost-wristband-v1:{serial}").as_bytes());
    const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let bits = (u32::from(digest[0]) << 16) | (u32::from(digest[1]) << 8) | u32::from(digest[2]);
    let check: String = (0..4)
        .map(|i| CROCKFORD[((bits >> (19 - 5 * i)) & 31) as usize] as char)
        .collect();
    format!("OPW1-{serial}-{check}")
}

/// How one frame is made.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Pixels per QR module at the code's centre.
    pub module_px: f64,
    pub angle_deg: f64,
    /// Perspective terms (per pixel): 0 for a code facing the camera.
    pub tilt: (f64, f64),
    /// Centre of the code in the frame, in pixels.
    pub centre: (f64, f64),
    pub blur_sigma: f64,
    pub noise_sigma: f64,
    /// Grey of a dark module and of the light band.
    pub dark: f64,
    pub light: f64,
    /// QR error correction: M gives version 1 (21×21 modules) for a wristband payload, Q version 2.
    pub ec: EcLevel,
}

impl Spec {
    fn base(rng: &mut Rng, module_px: f64) -> Spec {
        Spec {
            module_px,
            angle_deg: rng.range(-6.0, 6.0),
            tilt: (0.0, 0.0),
            centre: (
                f64::from(WIDTH) / 2.0 + rng.range(-40.0, 40.0),
                f64::from(HEIGHT) / 2.0 + rng.range(-30.0, 30.0),
            ),
            blur_sigma: 0.4,
            noise_sigma: 2.0,
            dark: 30.0,
            light: 225.0,
            ec: EcLevel::M,
        }
    }
}

/// An image class of the benchmark and the tests.
pub struct Class {
    pub name: &'static str,
    pub make: fn(&mut Rng) -> Spec,
}

pub const CLASSES: &[Class] = &[
    Class {
        name: "4px clean",
        make: |r| Spec::base(r, 4.0),
    },
    Class {
        name: "3px modules",
        make: |r| Spec::base(r, 3.0),
    },
    Class {
        name: "2px modules",
        make: |r| Spec::base(r, 2.0),
    },
    Class {
        name: "rotated 0-360°",
        make: |r| Spec {
            angle_deg: r.range(0.0, 360.0),
            ..Spec::base(r, 4.0)
        },
    },
    Class {
        name: "perspective skew",
        make: |r| {
            let sign = if r.next() % 2 == 0 { 1.0 } else { -1.0 };
            Spec {
                tilt: (sign * r.range(0.0015, 0.0025), r.range(-0.0015, 0.0015)),
                angle_deg: r.range(-20.0, 20.0),
                ..Spec::base(r, 4.0)
            }
        },
    },
    Class {
        name: "blur σ0.5",
        make: |r| Spec {
            blur_sigma: 0.5,
            ..Spec::base(r, 4.0)
        },
    },
    Class {
        name: "blur σ1.0",
        make: |r| Spec {
            blur_sigma: 1.0,
            ..Spec::base(r, 4.0)
        },
    },
    Class {
        name: "blur σ2.0",
        make: |r| Spec {
            blur_sigma: 2.0,
            ..Spec::base(r, 4.0)
        },
    },
    Class {
        name: "blur σ1.5 + noise",
        make: |r| Spec {
            blur_sigma: 1.5,
            noise_sigma: 12.0,
            ..Spec::base(r, 4.0)
        },
    },
    Class {
        name: "noise σ20",
        make: |r| Spec {
            noise_sigma: 20.0,
            ..Spec::base(r, 4.0)
        },
    },
    Class {
        name: "low contrast",
        make: |r| Spec {
            dark: 105.0,
            light: 150.0,
            noise_sigma: 3.0,
            ..Spec::base(r, 4.0)
        },
    },
    Class {
        name: "off-centre",
        make: |r| {
            let s = Spec::base(r, 3.0);
            let (x, y) = (
                if r.next() % 2 == 0 { 75.0 } else { 565.0 },
                if r.next() % 2 == 0 { 75.0 } else { 405.0 },
            );
            Spec {
                centre: (x + r.range(-10.0, 10.0), y + r.range(-10.0, 10.0)),
                ..s
            }
        },
    },
    Class {
        name: "4px, EC Q (version 2)",
        make: |r| Spec {
            ec: EcLevel::Q,
            ..Spec::base(r, 4.0)
        },
    },
    Class {
        name: "2px + blur σ0.8",
        make: |r| Spec {
            blur_sigma: 0.8,
            noise_sigma: 4.0,
            ..Spec::base(r, 2.0)
        },
    },
];

/// A small deterministic generator (xorshift64*), so frames need no `rand`.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u = self.unit().max(1e-12);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// One generated frame and what it holds.
pub struct Sample {
    pub class: &'static str,
    pub payload: String,
    pub image: GrayImage,
}

/// Frame `index` of `class`.
pub fn sample(class: &Class, class_index: usize, index: usize) -> Sample {
    let mut rng = Rng::new((class_index as u64) << 32 | index as u64);
    let spec = (class.make)(&mut rng);
    let payload = payload(10_000 + (class_index * 100 + index) as u32);
    let image = render(&payload, &spec, &mut rng);
    Sample {
        class: class.name,
        payload,
        image,
    }
}

/// Every class, `per_class` frames each.
pub fn all(per_class: usize) -> Vec<Sample> {
    CLASSES
        .iter()
        .enumerate()
        .flat_map(|(ci, class)| (0..per_class).map(move |i| sample(class, ci, i)))
        .collect()
}

type Mat = [[f64; 3]; 3];

fn mul(a: &Mat, b: &Mat) -> Mat {
    let mut m = [[0.0; 3]; 3];
    for (i, row) in m.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    m
}

fn inverse(m: &Mat) -> Mat {
    let c = |r: usize, k: usize| {
        let (r1, r2) = ((r + 1) % 3, (r + 2) % 3);
        let (k1, k2) = ((k + 1) % 3, (k + 2) % 3);
        m[r1][k1] * m[r2][k2] - m[r1][k2] * m[r2][k1]
    };
    let det: f64 = (0..3).map(|k| m[0][k] * c(0, k)).sum();
    let mut inv = [[0.0; 3]; 3];
    for (r, row) in inv.iter_mut().enumerate() {
        for (k, cell) in row.iter_mut().enumerate() {
            *cell = c(k, r) / det;
        }
    }
    inv
}

/// Renders `payload` as described by `spec`.
pub fn render(payload: &str, spec: &Spec, rng: &mut Rng) -> GrayImage {
    let code = QrCode::with_error_correction_level(payload, spec.ec).expect("payload fits");
    let n = code.width() as i64;
    let colors = code.to_colors();
    let half = n as f64 / 2.0;
    let band = half + 5.0; // quiet zone of 4 modules plus a margin: the band's half-height

    // Code space (modules, origin at the code's centre) → frame pixels.
    let (s, a) = (spec.module_px, spec.angle_deg.to_radians());
    let scale_rotate: Mat = [
        [s * a.cos(), -s * a.sin(), 0.0],
        [s * a.sin(), s * a.cos(), 0.0],
        [0.0, 0.0, 1.0],
    ];
    let tilt: Mat = [
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [spec.tilt.0, spec.tilt.1, 1.0],
    ];
    let shift: Mat = [
        [1.0, 0.0, spec.centre.0],
        [0.0, 1.0, spec.centre.1],
        [0.0, 0.0, 1.0],
    ];
    let to_code = inverse(&mul(&shift, &mul(&tilt, &scale_rotate)));

    let (w, h) = (WIDTH as usize, HEIGHT as usize);
    let phase = (rng.range(0.0, 6.0), rng.range(0.0, 6.0));
    let mut pixels = vec![0f64; w * h];
    for y in 0..h {
        for x in 0..w {
            let mut sum = 0.0;
            for (dx, dy) in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] {
                let (px, py) = (x as f64 + dx, y as f64 + dy);
                let m = &to_code;
                let z = m[2][0] * px + m[2][1] * py + m[2][2];
                let u = (m[0][0] * px + m[0][1] * py + m[0][2]) / z;
                let v = (m[1][0] * px + m[1][1] * py + m[1][2]) / z;
                sum += if v.abs() <= band && z > 0.0 {
                    let (i, j) = ((u + half).floor() as i64, (v + half).floor() as i64);
                    let dark = (0..n).contains(&i)
                        && (0..n).contains(&j)
                        && colors[(j * n + i) as usize] == Color::Dark;
                    if dark { spec.dark } else { spec.light }
                } else {
                    // Cloth/skin-like texture, darker than the band, with its own edges.
                    let t = (px / 37.0 + phase.0).sin() * (py / 23.0 + phase.1).cos();
                    let stripe = if ((px + py * 0.3) / 55.0).floor() as i64 % 2 == 0 {
                        10.0
                    } else {
                        -10.0
                    };
                    (spec.dark + spec.light) / 2.0 - 25.0 + 30.0 * t + stripe
                };
            }
            // Uneven light across the frame.
            let shade =
                1.0 - 0.15 * ((x as f64 - 320.0).powi(2) + (y as f64 - 240.0).powi(2)) / 160_000.0;
            pixels[y * w + x] = sum / 4.0 * shade;
        }
    }
    if spec.blur_sigma > 0.0 {
        blur(&mut pixels, w, h, spec.blur_sigma);
    }
    GrayImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let noisy = pixels[y as usize * w + x as usize] + spec.noise_sigma * rng.normal();
        Luma([noisy.round().clamp(0.0, 255.0) as u8])
    })
}

/// Separable Gaussian blur, edges clamped.
fn blur(pixels: &mut [f64], w: usize, h: usize, sigma: f64) {
    let radius = (3.0 * sigma).ceil() as i64;
    let kernel: Vec<f64> = (-radius..=radius)
        .map(|i| (-(i * i) as f64 / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f64 = kernel.iter().sum();
    let kernel: Vec<f64> = kernel.iter().map(|k| k / total).collect();
    let mut tmp = vec![0f64; w * h];
    for y in 0..h {
        for x in 0..w {
            tmp[y * w + x] = kernel
                .iter()
                .enumerate()
                .map(|(k, weight)| {
                    let xx = (x as i64 + k as i64 - radius).clamp(0, w as i64 - 1) as usize;
                    weight * pixels[y * w + xx]
                })
                .sum();
        }
    }
    for y in 0..h {
        for x in 0..w {
            pixels[y * w + x] = kernel
                .iter()
                .enumerate()
                .map(|(k, weight)| {
                    let yy = (y as i64 + k as i64 - radius).clamp(0, h as i64 - 1) as usize;
                    weight * tmp[yy * w + x]
                })
                .sum();
        }
    }
}
