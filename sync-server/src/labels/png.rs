//! One page of the sheet as a 300 dpi greyscale PNG (2480 × 3508 pixels). QR modules are whole
//! pixels (9 × 9), so the symbol stays sharp at any printer's scaling to the page.
//!
//! The printed id and the heading use the public-domain 8 × 8 bitmap font of the `font8x8`
//! crate, scaled by whole pixels: the text is ASCII digits, capitals, space and `-`, so a bitmap
//! font needs no rasteriser, no font file and no anti-aliasing (which would only blur a label
//! meant for thermal and laser printers).

use font8x8::{BASIC_FONTS, UnicodeFonts};
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, GrayImage, ImageEncoder, Luma};

use super::layout::{self, CELL_HEIGHT_MM, CELL_WIDTH_MM, PAGE_HEIGHT_MM, PAGE_WIDTH_MM};
use super::{LabelError, LabelRange, Symbol, page_heading};

const DPI: f32 = 300.0;
const PX_PER_MM: f32 = DPI / 25.4;
const INK: Luma<u8> = Luma([0]);
const CUT_LINE: Luma<u8> = Luma([190]);
const ID_SCALE: u32 = 3;
const HEADING_SCALE: u32 = 2;

fn px(mm: f32) -> u32 {
    (mm * PX_PER_MM).round() as u32
}

/// Renders page `page` (counted from 1) of `range` as a PNG file.
pub fn render_page(range: LabelRange, page: u32) -> Result<Vec<u8>, LabelError> {
    let image = draw_page(range, page)?;
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            ExtendedColorType::L8,
        )
        .map_err(|e| LabelError::Render(e.to_string()))?;
    Ok(out)
}

fn draw_page(range: LabelRange, page: u32) -> Result<GrayImage, LabelError> {
    let ids = range.page(page)?;
    let mut image = GrayImage::from_pixel(px(PAGE_WIDTH_MM), px(PAGE_HEIGHT_MM), Luma([255]));
    draw_text(
        &mut image,
        &page_heading(range, page),
        px(layout::left_margin_mm()),
        px(layout::HEADING_BASELINE_MM),
        HEADING_SCALE,
    );
    for (index, id) in ids.iter().enumerate() {
        let (cell_x, cell_y) = layout::cell_origin_mm(index as u32);
        outline(
            &mut image,
            px(cell_x),
            px(cell_y),
            px(cell_x + CELL_WIDTH_MM),
            px(cell_y + CELL_HEIGHT_MM),
        );

        let symbol = Symbol::of(*id)?;
        let modules = (symbol.width + 2 * layout::QUIET_MODULES) as u32;
        let module_px = (px(layout::QR_SIDE_MM) / modules).max(1);
        let side_px = module_px * modules;
        let left = px(cell_x + CELL_WIDTH_MM / 2.0) - side_px / 2;
        let top = px(cell_y + layout::QR_TOP_MM) + (px(layout::QR_SIDE_MM) - side_px) / 2;
        let quiet = layout::QUIET_MODULES as u32 * module_px;
        for (row, column, length) in symbol.runs() {
            fill(
                &mut image,
                left + quiet + column as u32 * module_px,
                top + quiet + row as u32 * module_px,
                length as u32 * module_px,
                module_px,
            );
        }

        let human = id.human();
        let width = human.len() as u32 * 8 * ID_SCALE;
        draw_text(
            &mut image,
            &human,
            px(cell_x + CELL_WIDTH_MM / 2.0) - width / 2,
            px(cell_y + layout::TEXT_BASELINE_MM),
            ID_SCALE,
        );
    }
    Ok(image)
}

fn fill(image: &mut GrayImage, x: u32, y: u32, width: u32, height: u32) {
    let right = (x + width).min(image.width());
    let bottom = (y + height).min(image.height());
    for yy in y..bottom {
        for xx in x..right {
            image.put_pixel(xx, yy, INK);
        }
    }
}

fn outline(image: &mut GrayImage, left: u32, top: u32, right: u32, bottom: u32) {
    let right = right.min(image.width() - 1);
    let bottom = bottom.min(image.height() - 1);
    for x in left..=right {
        image.put_pixel(x, top, CUT_LINE);
        image.put_pixel(x, bottom, CUT_LINE);
    }
    for y in top..=bottom {
        image.put_pixel(left, y, CUT_LINE);
        image.put_pixel(right, y, CUT_LINE);
    }
}

/// Draws ASCII `text` with its baseline at `baseline` (the font's glyphs sit on row 7).
fn draw_text(image: &mut GrayImage, text: &str, left: u32, baseline: u32, scale: u32) {
    let top = baseline.saturating_sub(7 * scale);
    for (i, c) in text.chars().enumerate() {
        let Some(glyph) = BASIC_FONTS.get(c) else {
            continue;
        };
        let glyph_left = left + i as u32 * 8 * scale;
        for (row, bits) in glyph.iter().enumerate() {
            for column in 0..8u32 {
                if bits & (1 << column) != 0 {
                    fill(
                        image,
                        glyph_left + column * scale,
                        top + row as u32 * scale,
                        scale,
                        scale,
                    );
                }
            }
        }
    }
}
