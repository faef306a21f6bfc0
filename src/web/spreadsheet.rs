//! Spreadsheet (XLSX) files: typed cells (numbers and dates as such, money with two decimals),
//! a bold header row frozen in place, column widths. Written by rust_xlsxwriter in its
//! constant-memory mode (each row goes to a temporary file once written, decision 0021), so a
//! file of a million rows takes the memory of one row; `web::download::tenant_xlsx` sends it.
//!
//! Text is written as text, never as a formula: a cell that starts with `=` is shown, not run.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};
use tokio::sync::mpsc;

/// A cell of a row.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    /// An amount, shown with two decimals.
    Money(Decimal),
    /// A quantity, shown as measured.
    Number(Decimal),
    Date(time::Date),
    Empty,
}

/// A column: its header and width (in characters).
#[derive(Clone, Debug)]
pub struct Column {
    pub header: String,
    pub width: f64,
}

/// Writes the rows `rows` sends, under `columns`, into a sheet named `sheet` of a new workbook
/// saved at `path`. Runs on a blocking thread.
pub fn write(
    path: &std::path::Path,
    sheet: &str,
    columns: &[Column],
    mut rows: mpsc::Receiver<Vec<Cell>>,
) -> Result<u32, XlsxError> {
    let mut workbook = Workbook::new();
    let header = Format::new().set_bold().set_background_color("D9E2F3");
    let money = Format::new().set_num_format("#,##0.00");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let worksheet = workbook.add_worksheet_with_constant_memory();
    worksheet.set_name(sheet.chars().take(31).collect::<String>())?;
    for (c, column) in columns.iter().enumerate() {
        worksheet.set_column_width(c as u16, column.width)?;
        worksheet.write_string_with_format(0, c as u16, &column.header, &header)?;
    }
    worksheet.set_freeze_panes(1, 0)?;
    let mut row = 0u32;
    while let Some(cells) = rows.blocking_recv() {
        row += 1;
        for (c, cell) in cells.into_iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(text) => {
                    worksheet.write_string(row, c, text)?;
                }
                Cell::Money(amount) => {
                    worksheet.write_number_with_format(
                        row,
                        c,
                        amount.to_f64().unwrap_or_default(),
                        &money,
                    )?;
                }
                Cell::Number(n) => {
                    worksheet.write_number(row, c, n.to_f64().unwrap_or_default())?;
                }
                Cell::Date(day) => {
                    let at = ExcelDateTime::from_ymd(
                        day.year() as u16,
                        u8::from(day.month()),
                        day.day(),
                    )?;
                    worksheet.write_datetime_with_format(row, c, &at, &date)?;
                }
                Cell::Empty => {}
            }
        }
    }
    workbook.save(path)?;
    Ok(row)
}
