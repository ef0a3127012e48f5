//! SVG to PNG (resvg), pages of SVG to one PDF (krilla, text kept as text), files to a ZIP.

use std::io::{Cursor, Write};

use chrono::{DateTime, Datelike, Timelike, Utc};
use krilla::Document;
use krilla::geom::Size;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla_svg::{SurfaceExt, SvgSettings};
use resvg::tiny_skia::{Pixmap, Transform};
use resvg::usvg;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::ReportFile;
use super::fonts::{FAMILY, FONT_DATABASE};
use super::handout::{PAGE_HEIGHT, PAGE_WIDTH};
use super::svg::Svg;
use crate::error::AppError;

/// A failure of a renderer that only our own drawings reach: a bug, reported as a 500.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct RenderError(String);

fn failed(context: &str, error: impl std::fmt::Display) -> AppError {
    AppError::internal_caused(format!("rendering the report: {context}"), RenderError(error.to_string()))
}

fn tree(svg: &str) -> Result<usvg::Tree, AppError> {
    let options =
        usvg::Options { fontdb: FONT_DATABASE.clone(), font_family: FAMILY.to_owned(), ..usvg::Options::default() };
    usvg::Tree::from_str(svg, &options).map_err(|e| failed("parsing a drawing", e))
}

/// The drawing as a PNG of its own size.
pub(super) fn png(svg: &str) -> Result<Vec<u8>, AppError> {
    let tree = tree(svg)?;
    let size = tree.size().to_int_size();
    let mut pixmap = Pixmap::new(size.width(), size.height()).ok_or_else(|| failed("a slide", "empty size"))?;
    resvg::render(&tree, Transform::identity(), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| failed("encoding PNG", e))
}

/// The pages (A4) as one PDF whose text is real text.
pub(super) fn pdf(pages: &[Svg], title: &str) -> Result<Vec<u8>, AppError> {
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(title.to_owned())
            .creator("Bright Line Watch data visualizations".to_owned())
            .language("en".to_owned()),
    );
    let size = Size::from_wh(PAGE_WIDTH, PAGE_HEIGHT).ok_or_else(|| failed("a page", "empty size"))?;
    for page in pages {
        let tree = tree(&page.document(PAGE_WIDTH, PAGE_HEIGHT))?;
        let mut pdf_page = document.start_page_with(PageSettings::new(size));
        let mut surface = pdf_page.surface();
        surface
            .draw_svg(&tree, size, SvgSettings { embed_text: true, ..SvgSettings::default() })
            .ok_or_else(|| failed("a page", "the drawing could not be converted"))?;
        surface.finish();
        pdf_page.finish();
    }
    document.finish().map_err(|e| failed("writing PDF", format!("{e:?}")))
}

/// The files in one ZIP, dated `as_of`: PNG and PDF stored as they are (already compressed), the
/// rest deflated.
pub(super) fn zip(files: &[ReportFile], as_of: DateTime<Utc>) -> Result<Vec<u8>, AppError> {
    let zip_failed = |e: zip::result::ZipError| failed("writing ZIP", e);
    let narrow = |n: u32| u8::try_from(n).unwrap_or(0);
    // A ZIP's dates run from 1980 to 2107: a clock outside them leaves the default date.
    let modified = u16::try_from(as_of.year())
        .ok()
        .and_then(|year| {
            zip::DateTime::from_date_and_time(
                year,
                narrow(as_of.month()),
                narrow(as_of.day()),
                narrow(as_of.hour()),
                narrow(as_of.minute()),
                narrow(as_of.second()),
            )
            .ok()
        })
        .unwrap_or_default();
    let mut archive = ZipWriter::new(Cursor::new(Vec::new()));
    for file in files {
        let method = if file.name.ends_with(".png") || file.name.ends_with(".pdf") {
            CompressionMethod::Stored
        } else {
            CompressionMethod::Deflated
        };
        archive
            .start_file(
                file.name.as_str(),
                SimpleFileOptions::default().compression_method(method).last_modified_time(modified),
            )
            .map_err(zip_failed)?;
        archive.write_all(&file.bytes).map_err(|e| failed("writing ZIP", e))?;
    }
    Ok(archive.finish().map_err(zip_failed)?.into_inner())
}
