//! Where things go on an A4 sheet, in millimetres from the top-left corner. Both renderings
//! place labels from this one description, so a PDF and a PNG of a range look the same.

/// A4 portrait.
pub const PAGE_WIDTH_MM: f32 = 210.0;
pub const PAGE_HEIGHT_MM: f32 = 297.0;

/// Labels across and down a page.
pub const COLUMNS: u32 = 5;
pub const ROWS: u32 = 8;
pub const LABELS_PER_PAGE: u32 = COLUMNS * ROWS;

/// One label's cell (cut along its light grey outline).
pub const CELL_WIDTH_MM: f32 = 38.0;
pub const CELL_HEIGHT_MM: f32 = 34.0;

/// The QR symbol's side including its 4-module quiet zone: 33 modules of ~0.78 mm, which phone
/// cameras and USB scanners read from 10–30 cm.
pub const QR_SIDE_MM: f32 = 26.0;
/// The QR symbol's top below the cell's top.
pub const QR_TOP_MM: f32 = 1.5;
/// The printed id's baseline below the cell's top.
pub const TEXT_BASELINE_MM: f32 = 31.0;
/// The page heading's baseline below the page's top.
pub const HEADING_BASELINE_MM: f32 = 8.0;

/// Modules of quiet zone on each side of the symbol, as the QR standard asks.
pub const QUIET_MODULES: usize = 4;

// The symbol ends clear of the printed id's capitals (~2.5 mm tall), checked when compiling.
const _: () = assert!(QR_TOP_MM + QR_SIDE_MM < TEXT_BASELINE_MM - 2.5);

/// The left margin, so the grid sits in the middle of the page.
pub fn left_margin_mm() -> f32 {
    (PAGE_WIDTH_MM - COLUMNS as f32 * CELL_WIDTH_MM) / 2.0
}

/// The top margin.
pub fn top_margin_mm() -> f32 {
    (PAGE_HEIGHT_MM - ROWS as f32 * CELL_HEIGHT_MM) / 2.0
}

/// The top-left corner of the cell for the `index`-th label on a page (reading order).
pub fn cell_origin_mm(index: u32) -> (f32, f32) {
    let column = index % COLUMNS;
    let row = index / COLUMNS;
    (
        left_margin_mm() + column as f32 * CELL_WIDTH_MM,
        top_margin_mm() + row as f32 * CELL_HEIGHT_MM,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_fits_on_a4_with_room_for_the_heading() {
        assert!(left_margin_mm() >= 5.0);
        assert!(top_margin_mm() > HEADING_BASELINE_MM);
        let (x, y) = cell_origin_mm(LABELS_PER_PAGE - 1);
        assert!(x + CELL_WIDTH_MM <= PAGE_WIDTH_MM - 5.0);
        assert!(y + CELL_HEIGHT_MM <= PAGE_HEIGHT_MM - 5.0);
    }
}
