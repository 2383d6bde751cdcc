//! Video through the real `ffprobe` and `ffmpeg` (Debian packages): what a
//! video is (codec, size, rotation, duration), a poster frame for its preview
//! and thumbnail, and a browser-playable H.264/AAC encoding when the original
//! is not one (Immich's "required" transcode policy).
//!
//! Every run has a time limit and its output is read while it runs, so a
//! hostile file can cost a bounded amount of time and memory, never hang a
//! worker.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use wait_timeout::ChildExt;

use crate::{MediaError, Result};

/// The programs, overridable for hosts that keep them elsewhere.
#[derive(Debug, Clone)]
pub struct Tools {
    pub ffprobe: PathBuf,
    pub ffmpeg: PathBuf,
    /// Upper bound for one probe or poster frame.
    pub quick_timeout: Duration,
    /// Upper bound for one transcode.
    pub transcode_timeout: Duration,
}

impl Default for Tools {
    fn default() -> Self {
        Tools {
            ffprobe: "ffprobe".into(),
            ffmpeg: "ffmpeg".into(),
            quick_timeout: Duration::from_secs(60),
            transcode_timeout: Duration::from_secs(6 * 3600),
        }
    }
}

/// What ffprobe says about a video.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VideoInfo {
    /// ffprobe's format name, e.g. "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm".
    pub format_name: String,
    pub duration_ms: Option<u64>,
    pub video: Option<VideoStream>,
    pub audio: Option<AudioStream>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct VideoStream {
    pub codec: String,
    /// Stored size, before rotation.
    pub width: u32,
    pub height: u32,
    /// Clockwise rotation to display it upright: 0, 90, 180 or 270.
    pub rotation: u32,
    pub fps: Option<f64>,
    pub pixel_format: Option<String>,
}

impl VideoStream {
    /// The size people see (rotation applied).
    pub fn display_size(&self) -> (u32, u32) {
        if self.rotation % 180 == 90 {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AudioStream {
    pub codec: String,
}

/// Immich's defaults for the "required" policy.
#[derive(Debug, Clone)]
pub struct TranscodeOptions {
    /// Shorter edge of the output, never upscaled.
    pub target_resolution: u32,
    pub crf: u8,
    pub preset: String,
    pub accepted_video_codecs: Vec<String>,
    pub accepted_audio_codecs: Vec<String>,
    pub accepted_containers: Vec<String>,
}

impl Default for TranscodeOptions {
    fn default() -> Self {
        TranscodeOptions {
            target_resolution: 720,
            crf: 23,
            preset: "ultrafast".into(),
            accepted_video_codecs: vec!["h264".into()],
            accepted_audio_codecs: vec![
                "aac".into(),
                "mp3".into(),
                "opus".into(),
                "pcm_s16le".into(),
            ],
            accepted_containers: vec!["mov".into(), "mp4".into(), "ogg".into(), "webm".into()],
        }
    }
}

/// Runs ffprobe on `path`.
pub fn probe(tools: &Tools, path: &Path) -> Result<VideoInfo> {
    let out = run(
        Command::new(&tools.ffprobe)
            .args([
                "-v",
                "error",
                "-print_format",
                "json",
                "-show_format",
                "-show_streams",
            ])
            .arg(path),
        "ffprobe",
        tools.quick_timeout,
        16 << 20,
    )?;
    parse_probe(&out)
}

/// Parses ffprobe's `-print_format json -show_format -show_streams` output.
pub fn parse_probe(json: &[u8]) -> Result<VideoInfo> {
    let v: Value = serde_json::from_slice(json).map_err(|e| MediaError::Tool {
        tool: "ffprobe",
        message: format!("unreadable output: {e}"),
    })?;
    let format = &v["format"];
    let mut info = VideoInfo {
        format_name: format["format_name"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        duration_ms: number(&format["duration"]).map(|d| (d * 1000.0).round() as u64),
        ..Default::default()
    };
    let streams = v["streams"].as_array().cloned().unwrap_or_default();
    // The first real video stream; cover art in audio files is an attached picture, not video.
    if let Some(s) = streams.iter().find(|s| {
        s["codec_type"] == "video" && s["disposition"]["attached_pic"].as_i64() != Some(1)
    }) {
        info.video = Some(VideoStream {
            codec: s["codec_name"].as_str().unwrap_or_default().to_string(),
            width: s["width"].as_u64().unwrap_or(0) as u32,
            height: s["height"].as_u64().unwrap_or(0) as u32,
            rotation: rotation_of(s),
            fps: frame_rate(s["avg_frame_rate"].as_str())
                .or_else(|| frame_rate(s["r_frame_rate"].as_str())),
            pixel_format: s["pix_fmt"].as_str().map(String::from),
        });
        if info.duration_ms.is_none() {
            info.duration_ms = number(&s["duration"]).map(|d| (d * 1000.0).round() as u64);
        }
    }
    if let Some(s) = streams.iter().find(|s| s["codec_type"] == "audio") {
        info.audio = Some(AudioStream {
            codec: s["codec_name"].as_str().unwrap_or_default().to_string(),
        });
    }
    if info.video.is_none() {
        return Err(MediaError::Unsupported(
            "the file has no video stream".into(),
        ));
    }
    Ok(info)
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
    .filter(|d: &f64| d.is_finite() && *d >= 0.0)
}

fn frame_rate(s: Option<&str>) -> Option<f64> {
    let (n, d) = s?.split_once('/')?;
    let (n, d): (f64, f64) = (n.parse().ok()?, d.parse().ok()?);
    (d > 0.0 && n > 0.0).then(|| n / d)
}

/// ffprobe reports the display matrix as a counter-clockwise angle (-90 for a
/// phone held upright); older files carry a `rotate` tag, clockwise.
fn rotation_of(stream: &Value) -> u32 {
    let from_matrix = stream["side_data_list"].as_array().and_then(|list| {
        list.iter()
            .find_map(|d| d["rotation"].as_f64().or_else(|| number(&d["rotation"])))
            .map(|ccw| -ccw)
    });
    let from_tag = number(&stream["tags"]["rotate"]);
    let degrees = from_matrix.or(from_tag).unwrap_or(0.0).round() as i64;
    (degrees.rem_euclid(360) as u32 / 90) * 90
}

/// Whether the original is not browser-playable under the "required" policy.
pub fn transcode_needed(info: &VideoInfo, options: &TranscodeOptions) -> bool {
    let Some(video) = &info.video else {
        return false;
    };
    let codec_ok = options.accepted_video_codecs.contains(&video.codec);
    let pixels_ok = matches!(
        video.pixel_format.as_deref(),
        None | Some("yuv420p") | Some("yuvj420p")
    );
    let audio_ok = info
        .audio
        .as_ref()
        .is_none_or(|a| options.accepted_audio_codecs.contains(&a.codec));
    let container_ok = info
        .format_name
        .split(',')
        .any(|f| options.accepted_containers.iter().any(|c| c == f));
    !(codec_ok && pixels_ok && audio_ok && container_ok)
}

/// An upright frame from early in the video (ffmpeg's `thumbnail` filter picks
/// the most representative of the first frames, which skips black lead-ins),
/// scaled so its shorter edge is at most `max_short_edge`. RGBA8, sRGB.
pub fn poster_frame(
    tools: &Tools,
    path: &Path,
    info: &VideoInfo,
    max_short_edge: u32,
) -> Result<(Vec<u8>, u32, u32)> {
    let video = info
        .video
        .as_ref()
        .ok_or_else(|| MediaError::Unsupported("the file has no video stream".into()))?;
    let (dw, dh) = video.display_size();
    if dw == 0 || dh == 0 {
        return Err(MediaError::Corrupt("the video stream has no size".into()));
    }
    let (w, h) = crate::derive::fit_shorter_edge((dw, dh), max_short_edge);
    let filter = format!("thumbnail=12,scale={w}:{h}:flags=bicubic,format=rgba");
    let out = run(
        Command::new(&tools.ffmpeg)
            .args(["-nostdin", "-v", "error", "-i"])
            .arg(path)
            .args(["-map", "0:v:0", "-an", "-sn", "-frames:v", "1", "-vf"])
            .arg(&filter)
            .args(["-f", "rawvideo", "pipe:1"]),
        "ffmpeg",
        tools.quick_timeout,
        (w as usize) * (h as usize) * 4 + 1,
    )?;
    if out.len() != (w as usize) * (h as usize) * 4 {
        return Err(MediaError::Corrupt(format!(
            "no frame could be decoded (got {} bytes, expected a {w}x{h} frame)",
            out.len()
        )));
    }
    Ok((out, w, h))
}

/// Encodes `src` to `dst` as H.264/AAC MP4, shorter edge at most
/// `target_resolution`, with the moov atom first so browsers start at once.
/// `dst` is written in place; the caller writes to a temporary name and renames.
pub fn transcode(
    tools: &Tools,
    src: &Path,
    dst: &Path,
    info: &VideoInfo,
    options: &TranscodeOptions,
) -> Result<()> {
    let video = info
        .video
        .as_ref()
        .ok_or_else(|| MediaError::Unsupported("the file has no video stream".into()))?;
    let (dw, dh) = video.display_size();
    let (w, h) = crate::derive::fit_shorter_edge((dw.max(2), dh.max(2)), options.target_resolution);
    // H.264 with 4:2:0 needs even dimensions.
    let (w, h) = (w & !1, h & !1);
    let mut cmd = Command::new(&tools.ffmpeg);
    cmd.args(["-nostdin", "-v", "error", "-y", "-i"])
        .arg(src)
        .args(["-map", "0:v:0", "-map", "0:a:0?", "-map_metadata", "0"])
        .args(["-c:v", "libx264", "-preset", &options.preset])
        .args(["-crf", &options.crf.to_string()])
        .args(["-vf", &format!("scale={w}:{h},format=yuv420p")])
        .args(["-c:a", "aac", "-b:a", "128k"])
        .args(["-movflags", "+faststart", "-f", "mp4"])
        .arg(dst);
    run(&mut cmd, "ffmpeg", tools.transcode_timeout, 0)?;
    Ok(())
}

/// Runs a tool, collecting at most `max_stdout` bytes of its output and the
/// tail of its errors; kills it after `timeout`.
fn run(
    cmd: &mut Command,
    tool: &'static str,
    timeout: Duration,
    max_stdout: usize,
) -> Result<Vec<u8>> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| MediaError::Tool {
            tool,
            message: if e.kind() == std::io::ErrorKind::NotFound {
                format!("{tool} is not installed (install the ffmpeg package)")
            } else {
                e.to_string()
            },
        })?;
    let mut stdout = child.stdout.take().ok_or_else(|| MediaError::Tool {
        tool,
        message: "no stdout".into(),
    })?;
    let mut stderr = child.stderr.take().ok_or_else(|| MediaError::Tool {
        tool,
        message: "no stderr".into(),
    })?;
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 64 * 1024];
        loop {
            match stdout.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                // Keep reading past the limit so the tool never blocks on a full pipe.
                Ok(n) if buf.len() + n <= max_stdout => buf.extend_from_slice(&chunk[..n]),
                Ok(_) => {}
            }
        }
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        let tail = buf.len().saturating_sub(2000);
        String::from_utf8_lossy(&buf[tail..]).trim().to_string()
    });
    let status = match child.wait_timeout(timeout) {
        Ok(Some(status)) => status,
        Ok(None) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(MediaError::Tool {
                tool,
                message: format!("gave up after {} s", timeout.as_secs()),
            });
        }
        Err(e) => {
            let _ = child.kill();
            return Err(MediaError::Tool {
                tool,
                message: e.to_string(),
            });
        }
    };
    let out = out_reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    if !status.success() {
        return Err(MediaError::Tool {
            tool,
            message: if err.is_empty() {
                format!("exited with {status}")
            } else {
                err
            },
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_comes_from_the_display_matrix_or_the_rotate_tag() {
        let phone: Value = serde_json::json!({
            "codec_type": "video",
            "side_data_list": [{"side_data_type": "Display Matrix", "rotation": -90}]
        });
        assert_eq!(rotation_of(&phone), 90);
        let tagged: Value = serde_json::json!({"tags": {"rotate": "270"}});
        assert_eq!(rotation_of(&tagged), 270);
        assert_eq!(rotation_of(&serde_json::json!({})), 0);
    }

    #[test]
    fn hevc_or_10_bit_or_odd_containers_need_transcoding_and_h264_mp4_does_not() {
        let opts = TranscodeOptions::default();
        let mut info = VideoInfo {
            format_name: "mov,mp4,m4a,3gp,3g2,mj2".into(),
            duration_ms: Some(1000),
            video: Some(VideoStream {
                codec: "h264".into(),
                width: 1920,
                height: 1080,
                pixel_format: Some("yuv420p".into()),
                ..Default::default()
            }),
            audio: Some(AudioStream {
                codec: "aac".into(),
            }),
        };
        assert!(!transcode_needed(&info, &opts));
        info.video.as_mut().unwrap().codec = "hevc".into();
        assert!(transcode_needed(&info, &opts));
        info.video.as_mut().unwrap().codec = "h264".into();
        info.video.as_mut().unwrap().pixel_format = Some("yuv420p10le".into());
        assert!(transcode_needed(&info, &opts));
        info.video.as_mut().unwrap().pixel_format = Some("yuv420p".into());
        info.format_name = "avi".into();
        assert!(transcode_needed(&info, &opts));
        info.format_name = "mov,mp4,m4a,3gp,3g2,mj2".into();
        info.audio = Some(AudioStream {
            codec: "pcm_mulaw".into(),
        });
        assert!(transcode_needed(&info, &opts));
    }

    #[test]
    fn probe_output_without_a_video_stream_is_refused() {
        let json = br#"{"format":{"format_name":"mp3","duration":"3.0"},"streams":[{"codec_type":"audio","codec_name":"mp3"}]}"#;
        assert!(matches!(parse_probe(json), Err(MediaError::Unsupported(_))));
        assert!(parse_probe(b"not json").is_err());
    }
}
