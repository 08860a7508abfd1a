//! QR decoders behind one trait, so the camera path can swap them and the benchmark can compare
//! them on the same frames (BENCHMARKS.md, "Wristband scanning (issue 6)").
//!
//! - [`RqrrDecoder`]: `rqrr`, pure Rust, always built.
//! - `RxingDecoder` (feature `rxing`): the pure-Rust port of ZXing.
//! - `ZxingCppDecoder` (feature `zxing-cpp`, default): the C++ ZXing through its bindings;
//!   building it needs cmake and a C++ compiler.
//!
//! [`default_decoder`] is the one the camera path uses; [`Fallback`] tries decoders in turn.

use crate::frame::Frame;

/// Something that finds QR codes in a frame and returns their texts.
pub trait FrameDecoder {
    /// A short name for logs and the benchmark.
    fn name(&self) -> &'static str;

    /// The texts of the QR codes found in `frame` (empty when none could be read). Codes whose
    /// content is not UTF-8 are skipped: wristband payloads are ASCII.
    fn decode(&mut self, frame: &Frame) -> Vec<String>;
}

impl<D: FrameDecoder + ?Sized> FrameDecoder for Box<D> {
    fn name(&self) -> &'static str {
        (**self).name()
    }

    fn decode(&mut self, frame: &Frame) -> Vec<String> {
        (**self).decode(frame)
    }
}

/// `rqrr`: finds every grid in the frame and decodes each.
#[derive(Debug, Clone, Copy, Default)]
pub struct RqrrDecoder;

impl FrameDecoder for RqrrDecoder {
    fn name(&self) -> &'static str {
        "rqrr"
    }

    fn decode(&mut self, frame: &Frame) -> Vec<String> {
        let image = frame.image();
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
            image.width() as usize,
            image.height() as usize,
            |x, y| image.get_pixel(x as u32, y as u32).0[0],
        );
        prepared
            .detect_grids()
            .into_iter()
            .filter_map(|grid| grid.decode().ok().map(|(_, text)| text))
            .collect()
    }
}

/// `rxing` (ZXing ported to Rust), QR only, with ZXing's "try harder".
#[cfg(feature = "rxing")]
#[derive(Debug, Clone, Copy, Default)]
pub struct RxingDecoder;

#[cfg(feature = "rxing")]
impl FrameDecoder for RxingDecoder {
    fn name(&self) -> &'static str {
        "rxing"
    }

    fn decode(&mut self, frame: &Frame) -> Vec<String> {
        let mut hints = rxing::DecodeHints::default();
        rxing::helpers::detect_in_luma_slice_with_hints(
            frame.luma(),
            frame.width(),
            frame.height(),
            Some(rxing::BarcodeFormat::QR_CODE),
            &mut hints,
        )
        .map(|result| vec![result.getText().to_string()])
        .unwrap_or_default()
    }
}

/// zxing-cpp (the C++ ZXing) through its bindings, QR only, "try harder" with rotation and
/// inverted codes.
#[cfg(feature = "zxing-cpp")]
#[derive(Debug, Clone, Copy, Default)]
pub struct ZxingCppDecoder;

#[cfg(feature = "zxing-cpp")]
impl FrameDecoder for ZxingCppDecoder {
    fn name(&self) -> &'static str {
        "zxing-cpp"
    }

    fn decode(&mut self, frame: &Frame) -> Vec<String> {
        let Ok(view) = zxingcpp::ImageView::from_slice(
            frame.luma(),
            frame.width(),
            frame.height(),
            zxingcpp::ImageFormat::Lum,
        ) else {
            return Vec::new();
        };
        zxingcpp::read()
            .formats([zxingcpp::BarcodeFormat::QRCode])
            .try_harder(true)
            .try_rotate(true)
            .try_invert(true)
            .from(view)
            .map(|codes| {
                codes
                    .into_iter()
                    .filter(|code| code.is_valid())
                    .map(|code| code.text())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Tries each decoder in order and returns the first non-empty result.
pub struct Fallback {
    decoders: Vec<Box<dyn FrameDecoder + Send>>,
}

impl Fallback {
    pub fn new(decoders: Vec<Box<dyn FrameDecoder + Send>>) -> Self {
        Fallback { decoders }
    }
}

impl FrameDecoder for Fallback {
    fn name(&self) -> &'static str {
        "fallback"
    }

    fn decode(&mut self, frame: &Frame) -> Vec<String> {
        for decoder in &mut self.decoders {
            let found = decoder.decode(frame);
            if !found.is_empty() {
                return found;
            }
        }
        Vec::new()
    }
}

/// The decoder the camera path uses: zxing-cpp (feature `zxing-cpp`, on by default), which read
/// the most frames of the benchmark at about the speed of the fastest; rqrr in builds without it.
pub fn default_decoder() -> Box<dyn FrameDecoder + Send> {
    #[cfg(feature = "zxing-cpp")]
    {
        Box::new(ZxingCppDecoder)
    }
    #[cfg(not(feature = "zxing-cpp"))]
    {
        Box::new(RqrrDecoder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(&'static [&'static str]);

    impl FrameDecoder for Fixed {
        fn name(&self) -> &'static str {
            "fixed"
        }
        fn decode(&mut self, _: &Frame) -> Vec<String> {
            self.0.iter().map(|s| s.to_string()).collect()
        }
    }

    #[test]
    fn a_blank_frame_has_no_code() {
        let frame = Frame::from_luma(64, 48, vec![200; 64 * 48]).expect("frame");
        assert!(RqrrDecoder.decode(&frame).is_empty());
        assert!(default_decoder().decode(&frame).is_empty());
    }

    #[test]
    fn the_fallback_stops_at_the_first_decoder_that_finds_something() {
        let frame = Frame::from_luma(2, 2, vec![0; 4]).expect("frame");
        let mut chain = Fallback::new(vec![
            Box::new(Fixed(&[])),
            Box::new(Fixed(&["second"])),
            Box::new(Fixed(&["third"])),
        ]);
        assert_eq!(chain.decode(&frame), vec!["second".to_string()]);
        assert!(Fallback::new(vec![]).decode(&frame).is_empty());
    }
}
