//! The camera path end to end on generated wristband photos: frames (raw, PNG files, a phone's
//! Y plane) → decoder → scan events.

#[path = "support/frames.rs"]
mod frames;

use outpost_scan::camera::CameraScanner;
use outpost_scan::decode::{FrameDecoder, RqrrDecoder, default_decoder};
use outpost_scan::frame::Frame;
use outpost_scan::phone::PhoneCamera;
use outpost_scan::{ScanContent, ScanEvent, ScanSource, channel};

/// A plain wristband photo every decoder reads (a version 2 code: rqrr misreads many version 1
/// codes, see BENCHMARKS.md), so these tests check the plumbing whatever the default decoder.
fn clean_sample(index: usize) -> frames::Sample {
    class_sample("4px, EC Q (version 2)", index)
}

fn frame_of(sample: &frames::Sample) -> Frame {
    Frame::from_luma(frames::WIDTH, frames::HEIGHT, sample.image.as_raw().clone()).expect("frame")
}

#[test]
fn generated_payloads_have_the_wristband_shape() {
    let p = frames::payload(12_345);
    assert_eq!(p.len(), 18);
    assert!(p.starts_with("OPW1-00012345-"));
    assert_ne!(frames::payload(12_345), frames::payload(12_346));
}

#[test]
fn a_wristband_in_a_camera_frame_becomes_one_camera_scan() {
    let sample = clean_sample(0);
    let (sink, events) = channel();
    let mut camera = CameraScanner::new(default_decoder(), sink);
    let frame = frame_of(&sample);
    assert_eq!(
        camera.push_frame(&frame, 1_000),
        vec![sample.payload.clone()]
    );
    // The same wristband in the next frames is not scanned again.
    assert!(camera.push_frame(&frame, 1_040).is_empty());
    let got = events.drain();
    assert_eq!(got.len(), 1);
    let ScanEvent::Scanned(scan) = &got[0] else {
        panic!("expected a scan, got {got:?}");
    };
    assert_eq!(scan.source, ScanSource::Camera);
    assert_eq!(scan.content, ScanContent::Text(sample.payload));
    assert_eq!(scan.at_ms, 1_000);
}

#[test]
fn a_photo_saved_as_png_decodes_like_the_raw_frame() {
    let sample = clean_sample(1);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("wristband.png");
    sample.image.save(&path).expect("png written");
    let bytes = std::fs::read(&path).expect("png read");
    let frame = Frame::from_encoded(&bytes).expect("png decodes");
    assert_eq!((frame.width(), frame.height()), (640, 480));
    assert_eq!(default_decoder().decode(&frame), vec![sample.payload]);
}

#[test]
fn a_phone_camera_plane_with_row_padding_is_decoded() {
    let sample = clean_sample(2);
    let stride = 704;
    let mut plane = vec![0u8; stride * 480];
    for (row, chunk) in sample.image.as_raw().chunks(640).enumerate() {
        plane[row * stride..row * stride + 640].copy_from_slice(chunk);
    }
    let (sink, events) = channel();
    let mut phone = PhoneCamera::new(default_decoder(), sink);
    let found = phone
        .push_luma_plane(640, 480, stride, &plane, 5)
        .expect("plane accepted");
    assert_eq!(found, vec![sample.payload.clone()]);
    assert!(matches!(&events.drain()[..], [ScanEvent::Scanned(s)]
        if s.source == ScanSource::PhoneCamera && s.content == ScanContent::Text(sample.payload.clone())));
}

fn class_sample(name: &str, index: usize) -> frames::Sample {
    let (ci, class) = frames::CLASSES
        .iter()
        .enumerate()
        .find(|(_, c)| c.name == name)
        .expect("class exists");
    frames::sample(class, ci, index)
}

#[cfg(feature = "zxing-cpp")]
#[test]
fn the_default_decoder_reads_two_pixel_modules() {
    let sample = class_sample("2px modules", 0);
    assert_eq!(
        default_decoder().decode(&frame_of(&sample)),
        vec![sample.payload]
    );
}

#[test]
fn the_rqrr_fallback_reads_a_version_2_wristband() {
    let sample = class_sample("4px, EC Q (version 2)", 5);
    assert_eq!(RqrrDecoder.decode(&frame_of(&sample)), vec![sample.payload]);
}

#[test]
fn a_frame_without_a_wristband_gives_no_scan() {
    let mut rng = frames::Rng::new(7);
    let spec = frames::Spec {
        module_px: 0.01, // the code shrinks to nothing: only the background is left
        ..(frames::CLASSES[0].make)(&mut rng)
    };
    let image = frames::render(&frames::payload(1), &spec, &mut rng);
    let frame = Frame::from_luma(640, 480, image.into_raw()).expect("frame");
    let (sink, events) = channel();
    let mut camera = CameraScanner::new(default_decoder(), sink);
    assert!(camera.push_frame(&frame, 0).is_empty());
    assert!(events.drain().is_empty());
}
