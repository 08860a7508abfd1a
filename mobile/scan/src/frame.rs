//! Camera frames as the decoders take them: 8-bit grey (luma), row by row.
//!
//! Cameras deliver other layouts; each constructor turns one into luma and checks its size, so a
//! short or odd buffer from a camera or a plugin is an error, never a panic.

use image::{GrayImage, ImageReader};
use std::io::Cursor;
use thiserror::Error;

/// The largest frame accepted (a 4K camera frame is 8.3 Mpx).
pub const MAX_PIXELS: u64 = 16_000_000;

/// A frame that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FrameError {
    #[error("the camera frame is {width}×{height}: too small or too large")]
    BadSize { width: u32, height: u32 },
    #[error("the camera frame has {got} bytes where {expected} were expected")]
    WrongLength { expected: u64, got: u64 },
    #[error("the picture cannot be read as PNG or JPEG")]
    BadPicture,
}

impl FrameError {
    /// The message in Chinese for the screen.
    pub fn message_zh(&self) -> String {
        match self {
            FrameError::BadSize { width, height } => {
                format!("摄像头画面尺寸为 {width}×{height}，过小或过大，无法识别")
            }
            FrameError::WrongLength { expected, got } => {
                format!("摄像头画面数据长度为 {got} 字节，应为 {expected} 字节")
            }
            FrameError::BadPicture => "图片无法按 PNG 或 JPEG 读取".to_string(),
        }
    }
}

/// One grey frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    image: GrayImage,
}

fn check_size(width: u32, height: u32) -> Result<u64, FrameError> {
    let pixels = u64::from(width) * u64::from(height);
    if width == 0 || height == 0 || pixels > MAX_PIXELS {
        return Err(FrameError::BadSize { width, height });
    }
    Ok(pixels)
}

fn check_len(expected: u64, got: usize) -> Result<(), FrameError> {
    let got = got as u64;
    if got < expected {
        return Err(FrameError::WrongLength { expected, got });
    }
    Ok(())
}

impl Frame {
    /// A frame from tightly packed luma bytes (`width × height`).
    pub fn from_luma(width: u32, height: u32, luma: Vec<u8>) -> Result<Frame, FrameError> {
        let pixels = check_size(width, height)?;
        if luma.len() as u64 != pixels {
            return Err(FrameError::WrongLength {
                expected: pixels,
                got: luma.len() as u64,
            });
        }
        GrayImage::from_raw(width, height, luma)
            .map(|image| Frame { image })
            .ok_or(FrameError::BadSize { width, height })
    }

    /// A frame from a luma plane whose rows are `stride` bytes apart — the Y plane of the
    /// YUV 4:2:0 images phone cameras deliver (Android `ImageProxy` plane 0, iOS
    /// `kCVPixelFormatType_420YpCbCr8BiPlanar*` plane 0).
    pub fn from_luma_plane(
        width: u32,
        height: u32,
        stride: usize,
        plane: &[u8],
    ) -> Result<Frame, FrameError> {
        check_size(width, height)?;
        let row = width as usize;
        if stride < row {
            return Err(FrameError::WrongLength {
                expected: row as u64,
                got: stride as u64,
            });
        }
        let rows = height as usize;
        check_len(((rows - 1) * stride + row) as u64, plane.len())?;
        let mut luma = Vec::with_capacity(row * rows);
        for chunk in plane.chunks(stride).take(rows) {
            luma.extend_from_slice(&chunk[..row]);
        }
        Frame::from_luma(width, height, luma)
    }

    /// A frame from RGBA bytes (a browser canvas's `ImageData`), weighted as BT.601 luma.
    pub fn from_rgba(width: u32, height: u32, rgba: &[u8]) -> Result<Frame, FrameError> {
        let pixels = check_size(width, height)?;
        check_len(pixels * 4, rgba.len())?;
        let luma = rgba
            .chunks_exact(4)
            .take(pixels as usize)
            .map(|p| {
                let y = 299 * u32::from(p[0]) + 587 * u32::from(p[1]) + 114 * u32::from(p[2]);
                (y / 1000) as u8
            })
            .collect();
        Frame::from_luma(width, height, luma)
    }

    /// A frame from a PNG or JPEG picture (a photo, a saved frame).
    pub fn from_encoded(bytes: &[u8]) -> Result<Frame, FrameError> {
        let reader = ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|_| FrameError::BadPicture)?;
        let (width, height) = reader
            .into_dimensions()
            .map_err(|_| FrameError::BadPicture)?;
        check_size(width, height)?;
        let image = image::load_from_memory(bytes).map_err(|_| FrameError::BadPicture)?;
        Ok(Frame {
            image: image.into_luma8(),
        })
    }

    pub fn width(&self) -> u32 {
        self.image.width()
    }

    pub fn height(&self) -> u32 {
        self.image.height()
    }

    /// The luma bytes, row by row.
    pub fn luma(&self) -> &[u8] {
        self.image.as_raw()
    }

    /// The frame as an `image` grey image.
    pub fn image(&self) -> &GrayImage {
        &self.image
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_luma_buffer_of_the_wrong_length_is_refused() {
        assert_eq!(
            Frame::from_luma(4, 2, vec![0; 7]),
            Err(FrameError::WrongLength {
                expected: 8,
                got: 7
            })
        );
        assert!(Frame::from_luma(4, 2, vec![0; 8]).is_ok());
    }

    #[test]
    fn empty_and_huge_frames_are_refused() {
        assert!(matches!(
            Frame::from_luma(0, 10, vec![]),
            Err(FrameError::BadSize { .. })
        ));
        assert!(matches!(
            Frame::from_rgba(100_000, 100_000, &[]),
            Err(FrameError::BadSize { .. })
        ));
    }

    #[test]
    fn a_strided_plane_keeps_only_the_visible_columns() {
        // 3×2 image in rows of 5 bytes; the last row may stop at the width.
        let plane = [1, 2, 3, 99, 99, 4, 5, 6];
        let frame = Frame::from_luma_plane(3, 2, 5, &plane).expect("valid plane");
        assert_eq!(frame.luma(), &[1, 2, 3, 4, 5, 6]);
        assert!(Frame::from_luma_plane(3, 2, 5, &plane[..7]).is_err());
        assert!(Frame::from_luma_plane(3, 2, 2, &plane).is_err());
    }

    #[test]
    fn rgba_becomes_luma() {
        let rgba = [255, 255, 255, 255, 0, 0, 0, 255, 255, 0, 0, 255];
        let frame = Frame::from_rgba(3, 1, &rgba).expect("valid rgba");
        assert_eq!(frame.luma(), &[255, 0, 76]);
        assert!(Frame::from_rgba(3, 1, &rgba[..11]).is_err());
    }

    #[test]
    fn a_png_picture_becomes_a_frame_and_garbage_is_refused() {
        let image = GrayImage::from_fn(5, 3, |x, _| image::Luma([(x * 50) as u8]));
        let mut png = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .expect("encodes");
        let frame = Frame::from_encoded(&png).expect("decodes");
        assert_eq!((frame.width(), frame.height()), (5, 3));
        assert_eq!(frame.luma()[4], 200);
        assert_eq!(
            Frame::from_encoded(b"not a picture"),
            Err(FrameError::BadPicture)
        );
        assert!(!FrameError::BadPicture.message_zh().is_empty());
    }
}
