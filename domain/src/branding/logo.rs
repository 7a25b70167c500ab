//! A workspace's logo: an uploaded PNG, JPEG or WebP file is read by the
//! `image` crate within limits, scaled down to what the pages show, and
//! written again as a PNG made by pinbridge. The uploaded bytes are never
//! stored or served, so nothing the file carried besides its pixels (metadata,
//! a script in a polyglot file, a lie about its type) reaches an end user.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

/// Largest upload accepted.
pub const MAX_UPLOAD_BYTES: usize = 256 * 1024;
/// Largest width or height read: a small file that declares more (a
/// "decompression bomb") is refused before its pixels are decoded.
pub const MAX_SIDE: u32 = 2048;
/// The box a stored logo fits in (twice the size the pages show it, for
/// high-density screens); larger images are scaled down, smaller kept.
pub const STORED_WIDTH: u32 = 480;
pub const STORED_HEIGHT: u32 = 160;
/// Memory the decoder may take for one image.
const MAX_DECODE_BYTES: u64 = 64 * 1024 * 1024;

/// A logo made by pinbridge: PNG bytes, their size and SHA-256 (hex).
#[derive(Clone, PartialEq, Eq)]
pub struct Logo {
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub sha256: String,
}

impl std::fmt::Debug for Logo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logo")
            .field("bytes", &self.png.len())
            .field("width", &self.width)
            .field("height", &self.height)
            .field("sha256", &self.sha256)
            .finish()
    }
}

/// Why an upload was refused, worded for the file field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LogoProblem {
    #[error("Choose an image file to upload.")]
    Empty,
    #[error("This file is {kb} KB; a logo can be at most 256 KB.")]
    TooLarge { kb: usize },
    #[error("{declared} files are not accepted: upload a PNG, JPEG or WebP image.")]
    TypeNotAllowed { declared: String },
    #[error("This file is not a PNG, JPEG or WebP image.")]
    NotAnImage,
    #[error(
        "This file says it is a {declared} image but holds a {actual} image; save it again as PNG, JPEG or WebP and upload that."
    )]
    TypeMismatch { declared: String, actual: String },
    #[error("This image is {width} × {height} pixels; a logo can be at most 2048 × 2048.")]
    TooManyPixels { width: u32, height: u32 },
    #[error("This {format} image could not be read: the file may be damaged or cut short.")]
    Unreadable { format: String },
}

/// The formats accepted, by what the file holds.
fn accepted(format: ImageFormat) -> Option<&'static str> {
    match format {
        ImageFormat::Png => Some("PNG"),
        ImageFormat::Jpeg => Some("JPEG"),
        ImageFormat::WebP => Some("WebP"),
        _ => None,
    }
}

/// What the upload says it is, from its content type and else its file name:
/// `Ok(None)` when it says nothing useful (`application/octet-stream`, no
/// extension), `Err` for a type that is never accepted (SVG, GIF, …).
fn declared(
    content_type: Option<&str>,
    file_name: Option<&str>,
) -> Result<Option<&'static str>, LogoProblem> {
    let content_type = content_type
        .map(|t| {
            t.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|t| !t.is_empty() && t != "application/octet-stream");
    if let Some(t) = content_type {
        return match t.as_str() {
            "image/png" => Ok(Some("PNG")),
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Ok(Some("JPEG")),
            "image/webp" => Ok(Some("WebP")),
            "image/svg+xml" => Err(LogoProblem::TypeNotAllowed {
                declared: "SVG".into(),
            }),
            other => Err(LogoProblem::TypeNotAllowed {
                declared: other.chars().take(60).collect(),
            }),
        };
    }
    let extension = file_name
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, ext)| ext.to_ascii_lowercase());
    Ok(match extension.as_deref() {
        Some("png") => Some("PNG"),
        Some("jpg" | "jpeg") => Some("JPEG"),
        Some("webp") => Some("WebP"),
        Some("svg" | "svgz") => {
            return Err(LogoProblem::TypeNotAllowed {
                declared: "SVG".into(),
            });
        }
        _ => None,
    })
}

impl Logo {
    /// Reads an upload and makes the logo pinbridge keeps. CPU-bound (up to a
    /// few tens of milliseconds for the largest image): call it off the async
    /// threads.
    pub fn from_upload(
        bytes: &[u8],
        content_type: Option<&str>,
        file_name: Option<&str>,
    ) -> Result<Self, LogoProblem> {
        if bytes.is_empty() {
            return Err(LogoProblem::Empty);
        }
        if bytes.len() > MAX_UPLOAD_BYTES {
            return Err(LogoProblem::TooLarge {
                kb: bytes.len().div_ceil(1024),
            });
        }
        let said = declared(content_type, file_name)?;
        let format = image::guess_format(bytes).map_err(|_| LogoProblem::NotAnImage)?;
        let actual = accepted(format).ok_or(LogoProblem::NotAnImage)?;
        if let Some(said) = said
            && said != actual
        {
            return Err(LogoProblem::TypeMismatch {
                declared: said.into(),
                actual: actual.into(),
            });
        }
        let unreadable = || LogoProblem::Unreadable {
            format: actual.into(),
        };
        let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
            .into_dimensions()
            .map_err(|_| unreadable())?;
        if width > MAX_SIDE || height > MAX_SIDE || width == 0 || height == 0 {
            return Err(LogoProblem::TooManyPixels { width, height });
        }
        let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
        let mut limits = Limits::default();
        limits.max_image_width = Some(MAX_SIDE);
        limits.max_image_height = Some(MAX_SIDE);
        limits.max_alloc = Some(MAX_DECODE_BYTES);
        reader.limits(limits);
        let image = reader.decode().map_err(|_| unreadable())?;
        let image = if image.width() > STORED_WIDTH || image.height() > STORED_HEIGHT {
            image.resize(
                STORED_WIDTH,
                STORED_HEIGHT,
                image::imageops::FilterType::Lanczos3,
            )
        } else {
            image
        };
        let image = DynamicImage::ImageRgba8(image.to_rgba8());
        let mut png = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .map_err(|_| unreadable())?;
        let sha256 = hex::encode(Sha256::digest(&png));
        Ok(Self {
            width: image.width(),
            height: image.height(),
            png,
            sha256,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Rgba};

    fn encoded(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
        let img = ImageBuffer::from_fn(width, height, |x, y| {
            Rgba([(x % 256) as u8, (y % 256) as u8, 128, 255])
        });
        let img = if format == ImageFormat::Jpeg {
            DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(img).to_rgb8())
        } else {
            DynamicImage::ImageRgba8(img)
        };
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), format).unwrap();
        out
    }

    #[test]
    fn each_accepted_format_becomes_a_png_of_its_own_making() {
        for (format, kind) in [
            (ImageFormat::Png, "image/png"),
            (ImageFormat::Jpeg, "image/jpeg"),
            (ImageFormat::WebP, "image/webp"),
        ] {
            let upload = encoded(120, 40, format);
            let logo = Logo::from_upload(&upload, Some(kind), Some("logo")).unwrap();
            assert_eq!((logo.width, logo.height), (120, 40), "{kind}");
            assert_eq!(image::guess_format(&logo.png).unwrap(), ImageFormat::Png);
            assert_eq!(logo.sha256, hex::encode(Sha256::digest(&logo.png)));
            assert_eq!(logo.sha256.len(), 64);
        }
    }

    #[test]
    fn large_images_are_scaled_into_the_stored_box_keeping_their_shape() {
        let logo = Logo::from_upload(&encoded(1200, 300, ImageFormat::Png), None, None).unwrap();
        assert_eq!((logo.width, logo.height), (480, 120));
        let tall = Logo::from_upload(&encoded(100, 400, ImageFormat::Png), None, None).unwrap();
        assert_eq!((tall.width, tall.height), (40, 160));
    }

    /// CRC-32 as PNG chunks use it.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn a_small_file_declaring_huge_dimensions_is_refused_before_decoding() {
        // A valid PNG whose header says 20 000 × 20 000 pixels (1.6 GB to
        // decode) in a file of a few hundred bytes.
        let mut bomb = encoded(8, 8, ImageFormat::Png);
        assert_eq!(&bomb[12..16], b"IHDR");
        bomb[16..20].copy_from_slice(&20_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&20_000u32.to_be_bytes());
        let crc = crc32(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        assert!(bomb.len() < 1024, "{}", bomb.len());
        assert_eq!(
            Logo::from_upload(&bomb, Some("image/png"), Some("bomb.png")),
            Err(LogoProblem::TooManyPixels {
                width: 20_000,
                height: 20_000
            })
        );
    }

    #[test]
    fn files_that_are_not_what_they_say_or_not_images_are_refused() {
        let jpeg = encoded(10, 10, ImageFormat::Jpeg);
        assert_eq!(
            Logo::from_upload(&jpeg, Some("image/png"), Some("logo.png")),
            Err(LogoProblem::TypeMismatch {
                declared: "PNG".into(),
                actual: "JPEG".into()
            })
        );
        assert_eq!(
            Logo::from_upload(&jpeg, None, Some("logo.png")),
            Err(LogoProblem::TypeMismatch {
                declared: "PNG".into(),
                actual: "JPEG".into()
            })
        );
        let html = b"<html><script>alert(1)</script></html>";
        assert_eq!(
            Logo::from_upload(html, Some("image/png"), Some("logo.png")),
            Err(LogoProblem::NotAnImage)
        );
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
        assert_eq!(
            Logo::from_upload(svg, Some("image/svg+xml"), Some("logo.svg")),
            Err(LogoProblem::TypeNotAllowed {
                declared: "SVG".into()
            })
        );
        assert_eq!(
            Logo::from_upload(svg, None, Some("logo.svg")),
            Err(LogoProblem::TypeNotAllowed {
                declared: "SVG".into()
            })
        );
        assert_eq!(
            Logo::from_upload(svg, Some("application/octet-stream"), None),
            Err(LogoProblem::NotAnImage)
        );
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
        assert_eq!(
            Logo::from_upload(gif, None, None),
            Err(LogoProblem::NotAnImage)
        );
        assert_eq!(Logo::from_upload(b"", None, None), Err(LogoProblem::Empty));
    }

    #[test]
    fn damaged_and_oversized_files_are_refused_with_their_reason() {
        let png = encoded(64, 64, ImageFormat::Png);
        let cut = &png[..png.len() / 2];
        assert_eq!(
            Logo::from_upload(cut, Some("image/png"), None),
            Err(LogoProblem::Unreadable {
                format: "PNG".into()
            })
        );
        let big = vec![0u8; MAX_UPLOAD_BYTES + 1];
        assert_eq!(
            Logo::from_upload(&big, None, None),
            Err(LogoProblem::TooLarge { kb: 257 })
        );
        assert!(
            LogoProblem::TooLarge { kb: 257 }
                .to_string()
                .contains("at most 256 KB")
        );
    }
}
