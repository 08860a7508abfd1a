//! The sheet as one PDF: every page of the range, QR modules drawn as filled rectangles (one per
//! horizontal run) and text in the standard Courier-Bold font, which every PDF reader has, so no
//! font is embedded. Content streams are deflated: 40 symbols are ~20,000 rectangles a page.

use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::layout::{self, CELL_HEIGHT_MM, CELL_WIDTH_MM, PAGE_HEIGHT_MM, PAGE_WIDTH_MM};
use super::{LabelError, LabelRange, Symbol, page_heading};

const PT_PER_MM: f32 = 72.0 / 25.4;
const ID_FONT: Name<'static> = Name(b"F1");
const HEADING_FONT: Name<'static> = Name(b"F2");
const ID_FONT_SIZE: f32 = 10.0;
const HEADING_FONT_SIZE: f32 = 8.0;
/// Courier's advance width is 600/1000 of the font size for every character.
const COURIER_ADVANCE: f32 = 0.6;

/// Renders every page of `range` as one PDF document.
pub fn render(range: LabelRange) -> Result<Vec<u8>, LabelError> {
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let id_font = Ref::new(3);
    let heading_font = Ref::new(4);
    let info = Ref::new(5);
    let page_ref = |page: u32| Ref::new(6 + 2 * page as i32);
    let content_ref = |page: u32| Ref::new(7 + 2 * page as i32);

    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids((0..range.pages()).map(page_ref))
        .count(range.pages() as i32);
    pdf.type1_font(id_font).base_font(Name(b"Courier-Bold"));
    pdf.type1_font(heading_font).base_font(Name(b"Courier"));
    let title = format!(
        "Outpost wristband labels {:08}-{:08}",
        range.first(),
        range.last()
    );
    pdf.document_info(info)
        .title(TextStr(&title))
        .creator(TextStr("Outpost"));

    for index in 0..range.pages() {
        let mut page = pdf.page(page_ref(index));
        page.media_box(Rect::new(
            0.0,
            0.0,
            PAGE_WIDTH_MM * PT_PER_MM,
            PAGE_HEIGHT_MM * PT_PER_MM,
        ));
        page.parent(tree);
        page.contents(content_ref(index));
        let mut resources = page.resources();
        let mut fonts = resources.fonts();
        fonts.pair(ID_FONT, id_font);
        fonts.pair(HEADING_FONT, heading_font);
        fonts.finish();
        resources.finish();
        page.finish();

        let content = page_content(range, index + 1)?;
        let deflated = miniz_oxide::deflate::compress_to_vec_zlib(&content, 6);
        pdf.stream(content_ref(index), &deflated)
            .filter(Filter::FlateDecode);
    }
    Ok(pdf.finish())
}

/// Millimetres from the top-left corner to PDF points from the bottom-left corner.
fn to_pt(x_mm: f32, y_mm: f32) -> (f32, f32) {
    (x_mm * PT_PER_MM, (PAGE_HEIGHT_MM - y_mm) * PT_PER_MM)
}

fn page_content(range: LabelRange, page: u32) -> Result<Vec<u8>, LabelError> {
    let mut content = Content::new();
    let heading = page_heading(range, page);
    let (x, y) = to_pt(layout::left_margin_mm(), layout::HEADING_BASELINE_MM);
    text(
        &mut content,
        HEADING_FONT,
        HEADING_FONT_SIZE,
        x,
        y,
        &heading,
    );

    // Cut lines, light enough not to disturb a scanner.
    content.set_stroke_gray(0.75).set_line_width(0.25);
    let ids = range.page(page)?;
    for index in 0..ids.len() as u32 {
        let (x, y) = layout::cell_origin_mm(index);
        let (left, bottom) = to_pt(x, y + CELL_HEIGHT_MM);
        content.rect(
            left,
            bottom,
            CELL_WIDTH_MM * PT_PER_MM,
            CELL_HEIGHT_MM * PT_PER_MM,
        );
    }
    content.stroke();

    content.set_fill_gray(0.0);
    for (index, id) in ids.iter().enumerate() {
        let (cell_x, cell_y) = layout::cell_origin_mm(index as u32);
        let symbol = Symbol::of(*id)?;
        let modules = symbol.width + 2 * layout::QUIET_MODULES;
        let module_mm = layout::QR_SIDE_MM / modules as f32;
        let quiet_mm = layout::QUIET_MODULES as f32 * module_mm;
        let (x0, y0) = to_pt(
            cell_x + (CELL_WIDTH_MM - layout::QR_SIDE_MM) / 2.0 + quiet_mm,
            cell_y + layout::QR_TOP_MM + quiet_mm,
        );
        // In module units, y growing downwards: each run is `x y len 1 re`.
        let module_pt = module_mm * PT_PER_MM;
        content.save_state();
        content.transform([module_pt, 0.0, 0.0, -module_pt, x0, y0]);
        for (row, column, length) in symbol.runs() {
            content.rect(column as f32, row as f32, length as f32, 1.0);
        }
        content.fill_nonzero();
        content.restore_state();

        let human = id.human();
        let width = human.len() as f32 * COURIER_ADVANCE * ID_FONT_SIZE;
        let (center, baseline) = to_pt(
            cell_x + CELL_WIDTH_MM / 2.0,
            cell_y + layout::TEXT_BASELINE_MM,
        );
        text(
            &mut content,
            ID_FONT,
            ID_FONT_SIZE,
            center - width / 2.0,
            baseline,
            &human,
        );
    }
    Ok(content.finish().into_vec())
}

fn text(content: &mut Content, font: Name, size: f32, x: f32, y: f32, text: &str) {
    content.begin_text();
    content.set_font(font, size);
    content.next_line(x, y);
    content.show(Str(text.as_bytes()));
    content.end_text();
}
