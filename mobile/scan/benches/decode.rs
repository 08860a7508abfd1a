//! Decode time per 640×480 frame and detection rate per image class, for each QR decoder built
//! in (rqrr always; rxing and zxing-cpp with their features). See BENCHMARKS.md, "Wristband
//! scanning (issue 6)".
//!
//! `cargo bench -p outpost-scan --features rxing,zxing-cpp --bench decode [-- <frames per class> <timing rounds>]`

#[path = "../tests/support/frames.rs"]
mod frames;

use std::time::{Duration, Instant};

use outpost_scan::decode::{FrameDecoder, RqrrDecoder};
use outpost_scan::frame::Frame;

fn decoders() -> Vec<Box<dyn FrameDecoder>> {
    let list: Vec<Box<dyn FrameDecoder>> = vec![
        Box::new(RqrrDecoder),
        #[cfg(feature = "rxing")]
        Box::new(outpost_scan::decode::RxingDecoder),
        #[cfg(feature = "zxing-cpp")]
        Box::new(outpost_scan::decode::ZxingCppDecoder),
    ];
    list
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let per_class = args.first().copied().unwrap_or(12).clamp(1, 200);
    let rounds = args.get(1).copied().unwrap_or(3).clamp(1, 50);

    let started = Instant::now();
    let samples = frames::all(per_class);
    let frames: Vec<Frame> = samples
        .iter()
        .map(|s| Frame::from_luma(frames::WIDTH, frames::HEIGHT, s.image.as_raw().clone()))
        .collect::<Result<_, _>>()
        .expect("generated frames are well-formed");
    println!(
        "{} frames ({} classes × {per_class}), 640×480, generated in {:.1} s; {rounds} timing rounds",
        frames.len(),
        frames::CLASSES.len(),
        started.elapsed().as_secs_f64()
    );
    if let Ok(dir) = std::env::var("OUTPOST_BENCH_FRAMES_DIR") {
        for (i, s) in samples.iter().enumerate() {
            let name = format!(
                "{dir}/{i:03}-{}.png",
                s.class.replace([' ', '°', 'σ', '+'], "_")
            );
            s.image.save(&name).expect("frame saved");
        }
        println!("frames written to {dir}");
    }

    let mut decoders = decoders();
    let mut header = format!("{:<24}", "class");
    for d in &decoders {
        header.push_str(&format!(" | {:>9}", d.name()));
    }
    let mut detected = vec![vec![0usize; frames::CLASSES.len()]; decoders.len()];
    let mut wrong = vec![0usize; decoders.len()];
    // Per frame: which decoders read it.
    let mut read_by = vec![vec![false; decoders.len()]; frames.len()];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); decoders.len()];
    // The same times split by whether the decoder read the frame (misses cost more: the
    // decoders try harder before giving up).
    let mut times_read: Vec<Vec<Duration>> = vec![Vec::new(); decoders.len()];
    let mut times_missed: Vec<Vec<Duration>> = vec![Vec::new(); decoders.len()];
    for (di, decoder) in decoders.iter_mut().enumerate() {
        for round in 0..rounds {
            for (fi, frame) in frames.iter().enumerate() {
                let t = Instant::now();
                let found = decoder.decode(frame);
                let took = t.elapsed();
                times[di].push(took);
                if found.contains(&samples[fi].payload) {
                    times_read[di].push(took);
                } else {
                    times_missed[di].push(took);
                }
                if round == 0 {
                    let sample = &samples[fi];
                    if found.contains(&sample.payload) {
                        detected[di][fi / per_class] += 1;
                        read_by[fi][di] = true;
                    } else if !found.is_empty() {
                        wrong[di] += 1;
                    }
                }
            }
        }
    }

    println!(
        "\ndetection rate per image class (frames decoded to the right payload / {per_class})"
    );
    println!("{header}");
    for (ci, class) in frames::CLASSES.iter().enumerate() {
        let mut line = format!("{:<24}", class.name);
        for d in &detected {
            line.push_str(&format!(" | {:>9}", format!("{}/{per_class}", d[ci])));
        }
        println!("{line}");
    }
    let mut total = format!("{:<24}", "all");
    for d in &detected {
        let sum: usize = d.iter().sum();
        total.push_str(&format!(
            " | {:>8.1}%",
            100.0 * sum as f64 / frames.len() as f64
        ));
    }
    println!("{total}");
    let mut wrong_line = format!("{:<24}", "wrong text");
    for w in &wrong {
        wrong_line.push_str(&format!(" | {w:>9}"));
    }
    println!("{wrong_line}");
    let mut only_line = format!("{:<24}", "read by this one only");
    for di in 0..decoders.len() {
        let only = read_by
            .iter()
            .filter(|r| r[di] && r.iter().filter(|x| **x).count() == 1)
            .count();
        only_line.push_str(&format!(" | {only:>9}"));
    }
    println!("{only_line}");

    println!("\ndecode time per frame, ms (all frames; then split by read or missed)");
    println!(
        "{:<10} | {:>7} | {:>7} | {:>7} | {:>13} | {:>15}",
        "decoder", "median", "p95", "max", "median, read", "median, missed"
    );
    let sorted = |v: &[Duration]| {
        let mut v = v.to_vec();
        v.sort();
        v
    };
    for (di, decoder) in decoders.iter().enumerate() {
        let t = sorted(&times[di]);
        println!(
            "{:<10} | {:>7} | {:>7} | {:>7} | {:>13} | {:>15}",
            decoder.name(),
            ms(percentile(&t, 0.5)),
            ms(percentile(&t, 0.95)),
            ms(percentile(&t, 1.0)),
            ms(percentile(&sorted(&times_read[di]), 0.5)),
            ms(percentile(&sorted(&times_missed[di]), 0.5)),
        );
    }
}
