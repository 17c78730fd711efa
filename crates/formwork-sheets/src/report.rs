//! The error report of an import: the uploaded sheet as it was, each bad cell filled red with
//! a note saying what is wrong, and a last column listing the row's problems, so a person
//! fixes the file in place and uploads it again.

use std::io::Write;

use rust_xlsxwriter::{Color, Format, Note, Workbook};

use crate::SheetError;
use crate::import::CellError;
use crate::read::{Grid, RawCell};

/// Writes the error report of `grid` with `errors` (in `lang`) to `out`.
pub fn write_error_report<W: Write + Send>(
    out: W,
    grid: &Grid,
    errors: &[CellError],
    lang: &str,
) -> Result<(), SheetError> {
    let mut workbook = Workbook::new();
    let ws = workbook.add_worksheet();
    ws.set_name(if lang.starts_with("en") {
        "Errors"
    } else {
        "导入错误"
    })?;
    let header = Format::new().set_bold();
    let bad = Format::new()
        .set_background_color(Color::RGB(0xFFC7CE))
        .set_font_color(Color::RGB(0x9C0006));
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let last = u16::try_from(grid.header.len()).map_err(|_| SheetError::TooManyColumns)?;
    for (c, h) in grid.header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &header)?;
    }
    let problems = if lang.starts_with("en") {
        "Problems"
    } else {
        "错误说明"
    };
    ws.write_string_with_format(0, last, problems, &header)?;
    ws.set_column_width(last, 60)?;
    for (i, cells) in grid.rows.iter().enumerate() {
        let r = u32::try_from(i + 1).map_err(|_| SheetError::TooManyRows {
            max: u64::from(u32::MAX),
        })?;
        for (c, cell) in cells.iter().enumerate() {
            let c = u16::try_from(c).map_err(|_| SheetError::TooManyColumns)?;
            match cell {
                RawCell::Empty => {}
                RawCell::Text(t) | RawCell::Error(t) => {
                    ws.write_string(r, c, t)?;
                }
                RawCell::Number(n) => {
                    ws.write_number(r, c, *n)?;
                }
                RawCell::Bool(b) => {
                    ws.write_boolean(r, c, *b)?;
                }
                RawCell::Serial(s) => {
                    ws.write_number_with_format(r, c, *s, &date)?;
                }
            }
        }
        let mine: Vec<&CellError> = errors.iter().filter(|e| e.row == i + 1).collect();
        for e in &mine {
            let c = u16::try_from(e.column_index).map_err(|_| SheetError::TooManyColumns)?;
            ws.set_cell_format(r, c, &bad)?;
            ws.insert_note(r, c, &Note::new(e.message.get(lang)).set_author("Formwork"))?;
        }
        if !mine.is_empty() {
            let text: Vec<String> = mine
                .iter()
                .map(|e| format!("{}: {}", e.cell, e.message.get(lang)))
                .collect();
            ws.write_string_with_format(r, last, text.join("；"), &bad)?;
        }
    }
    workbook.save_to_writer(out)?;
    Ok(())
}
