//! What the spreadsheet import preview costs over just reading the cells:
//! a generated 150,000-row workbook parsed by `spreadsheet::preview`, against
//! calamine alone touching every cell of the same bytes, in the same run.
//! Every measurement runs in a fresh child process (this binary re-executed)
//! so that its peak RSS is its own. Prints a Markdown section (for
//! BENCHMARKS.md) on stdout; progress goes to stderr.

use std::error::Error;
use std::hint::black_box;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use calamine::{Data, DataRef, Reader, Xlsx};
use monitoring::spreadsheet;

const HOST_ROWS: usize = 100_000;
const SALE_ROWS: usize = 50_000;
const DEFECT_RATIO: f64 = 0.1;
const SEED: u64 = 2025;
const RUNS: usize = 3;
const TIME_RATIO_TARGET: f64 = 1.5;
const PEAK_RSS_TARGET_BYTES: u64 = 120_000_000;

/// Set in a child: which measurement to run, and on which file.
const CHILD_MODE_ENV: &str = "IMPORT_PREVIEW_BENCH_MODE";
const CHILD_FILE_ENV: &str = "IMPORT_PREVIEW_BENCH_FILE";

type BenchResult<T> = Result<T, Box<dyn Error>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The file read into memory and nothing else: the floor of every RSS.
    LoadOnly,
    /// calamine streaming every cell with `worksheet_cells_reader`.
    RawCells,
    /// calamine building each sheet's `Range` with `worksheet_range`.
    RawRange,
    /// `spreadsheet::preview`.
    Preview,
}

impl Mode {
    const ALL: [Mode; 4] = [
        Mode::LoadOnly,
        Mode::RawCells,
        Mode::RawRange,
        Mode::Preview,
    ];

    fn name(self) -> &'static str {
        match self {
            Mode::LoadOnly => "load-only",
            Mode::RawCells => "raw-cells",
            Mode::RawRange => "raw-range",
            Mode::Preview => "preview",
        }
    }

    fn from_name(name: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|mode| mode.name() == name)
    }
}

fn main() -> BenchResult<()> {
    match std::env::var(CHILD_MODE_ENV) {
        Ok(mode) => {
            let mode = Mode::from_name(&mode).ok_or_else(|| format!("unknown mode {mode}"))?;
            let file = std::env::var(CHILD_FILE_ENV)?;
            measure_in_this_process(mode, Path::new(&file))
        }
        Err(_) => run_benchmark(),
    }
}

// ---------------------------------------------------------------------------
// Child: one measurement

fn measure_in_this_process(mode: Mode, file: &Path) -> BenchResult<()> {
    let bytes = std::fs::read(file)?;
    let started = Instant::now();
    let checksum = match mode {
        Mode::LoadOnly => bytes.len() as u64,
        Mode::RawCells => raw_cells(&bytes)?,
        Mode::RawRange => raw_range(&bytes)?,
        Mode::Preview => {
            let preview = spreadsheet::preview(&bytes)?;
            (preview.hosts.len() + preview.account_sales.len()) as u64
                + u64::from(
                    preview.summary.hosts.valid_rows + preview.summary.account_sales.valid_rows,
                )
        }
    };
    let elapsed = started.elapsed();
    println!(
        "elapsed_ns={} peak_rss_kib={} checksum={}",
        elapsed.as_nanos(),
        peak_rss_kib()?,
        black_box(checksum)
    );
    Ok(())
}

fn raw_cells(bytes: &[u8]) -> BenchResult<u64> {
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))?;
    let mut checksum = 0u64;
    for name in workbook.sheet_names() {
        let mut cells = workbook.worksheet_cells_reader(&name)?;
        while let Some(cell) = cells.next_cell()? {
            checksum = checksum.wrapping_add(touch_ref(cell.get_value()));
        }
    }
    Ok(checksum)
}

fn raw_range(bytes: &[u8]) -> BenchResult<u64> {
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))?;
    let mut checksum = 0u64;
    for name in workbook.sheet_names() {
        let range = workbook.worksheet_range(&name)?;
        for (_, _, value) in range.used_cells() {
            checksum = checksum.wrapping_add(touch(value));
        }
    }
    Ok(checksum)
}

/// Reads a value the way a consumer would, so that nothing is optimised away.
fn touch_ref(value: &DataRef<'_>) -> u64 {
    match value {
        DataRef::Int(number) => *number as u64,
        DataRef::Float(number) => number.to_bits(),
        DataRef::String(text) | DataRef::DateTimeIso(text) | DataRef::DurationIso(text) => {
            text_sum(text)
        }
        DataRef::SharedString(text) => text_sum(text),
        DataRef::Bool(flag) => u64::from(*flag),
        DataRef::DateTime(datetime) => datetime.as_f64().to_bits(),
        DataRef::Error(_) => 7,
        DataRef::Empty => 0,
    }
}

fn touch(value: &Data) -> u64 {
    match value {
        Data::Int(number) => *number as u64,
        Data::Float(number) => number.to_bits(),
        Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text) => text_sum(text),
        Data::Bool(flag) => u64::from(*flag),
        Data::DateTime(datetime) => datetime.as_f64().to_bits(),
        Data::Error(_) => 7,
        Data::Empty => 0,
    }
}

fn text_sum(text: &str) -> u64 {
    text.len() as u64 + text.bytes().next().map_or(0, u64::from)
}

/// The process's peak resident set size, from Linux's `/proc/self/status`.
fn peak_rss_kib() -> BenchResult<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .ok_or("no VmHWM in /proc/self/status")?;
    let kib = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?;
    Ok(kib)
}

// ---------------------------------------------------------------------------
// Parent: generate, run every measurement in children, report

#[derive(Debug, Clone, Copy)]
struct Measurement {
    elapsed: Duration,
    peak_rss_bytes: u64,
}

fn run_benchmark() -> BenchResult<()> {
    eprintln!("generating {HOST_ROWS} VPS rows and {SALE_ROWS} AKUN rows...");
    let sample = spreadsheet::sample::generate_workbook(HOST_ROWS, SALE_ROWS, DEFECT_RATIO, SEED)?;
    let file = std::env::temp_dir().join(format!(
        "juragan-import-preview-{}.xlsx",
        std::process::id()
    ));
    std::fs::write(&file, &sample.bytes)?;
    let xml_bytes = uncompressed_size(&sample.bytes)?;
    let result = measure_all(&file);
    std::fs::remove_file(&file)?;
    let results = result?;

    // The preview must have read what was generated, or the timing is moot.
    let preview = spreadsheet::preview(&sample.bytes)?;
    let problems =
        preview.summary.hosts.rows_with_problems + preview.summary.account_sales.rows_with_problems;
    let expected_problems = sample.defective_host_rows + sample.defective_account_sale_rows;
    if problems as usize != expected_problems || preview.hosts.len() != HOST_ROWS {
        return Err(format!(
            "preview found {problems} defective rows, generator wrote {expected_problems}"
        )
        .into());
    }

    report(&sample, xml_bytes, expected_problems, &results);
    Ok(())
}

/// Runs every mode `RUNS` times, interleaved so that all see the same machine.
fn measure_all(file: &Path) -> BenchResult<Vec<(Mode, Measurement)>> {
    let executable = std::env::current_exe()?;
    let mut runs: Vec<(Mode, Vec<Measurement>)> =
        Mode::ALL.iter().map(|mode| (*mode, Vec::new())).collect();
    for run in 1..=RUNS {
        for (mode, measurements) in &mut runs {
            eprintln!("run {run}/{RUNS}: {}", mode.name());
            measurements.push(measure_in_child(&executable, *mode, file)?);
        }
    }
    Ok(runs
        .into_iter()
        .map(|(mode, mut measurements)| {
            measurements.sort_by_key(|measurement| measurement.elapsed);
            let median = measurements[measurements.len() / 2].elapsed;
            let peak = measurements
                .iter()
                .map(|measurement| measurement.peak_rss_bytes)
                .max()
                .unwrap_or(0);
            (
                mode,
                Measurement {
                    elapsed: median,
                    peak_rss_bytes: peak,
                },
            )
        })
        .collect())
}

fn measure_in_child(executable: &PathBuf, mode: Mode, file: &Path) -> BenchResult<Measurement> {
    let output = Command::new(executable)
        .env(CHILD_MODE_ENV, mode.name())
        .env(CHILD_FILE_ENV, file)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()?;
    if !output.status.success() {
        return Err(format!("{} child failed: {}", mode.name(), output.status).into());
    }
    let stdout = String::from_utf8(output.stdout)?;
    let field = |name: &str| -> BenchResult<u64> {
        let value = stdout
            .split_whitespace()
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
            .ok_or_else(|| format!("{} child printed no {name}: {stdout}", mode.name()))?;
        Ok(value.parse()?)
    };
    Ok(Measurement {
        elapsed: Duration::from_nanos(field("elapsed_ns")?),
        peak_rss_bytes: field("peak_rss_kib")? * 1024,
    })
}

fn uncompressed_size(bytes: &[u8]) -> BenchResult<u64> {
    let archive = zip::ZipArchive::new(Cursor::new(bytes))?;
    let mut total = 0;
    for index in 0..archive.len() {
        total += archive.by_index_data(index)?.size();
    }
    Ok(total)
}

fn report(
    sample: &spreadsheet::sample::SampleWorkbook,
    xml_bytes: u64,
    defective: usize,
    results: &[(Mode, Measurement)],
) {
    let get = |mode: Mode| {
        results
            .iter()
            .find(|(measured, _)| *measured == mode)
            .map(|(_, measurement)| *measurement)
            .unwrap_or(Measurement {
                elapsed: Duration::ZERO,
                peak_rss_bytes: 0,
            })
    };
    let (load, cells, range, ours) = (
        get(Mode::LoadOnly),
        get(Mode::RawCells),
        get(Mode::RawRange),
        get(Mode::Preview),
    );
    let seconds = |m: Measurement| format!("{:.3} s", m.elapsed.as_secs_f64());
    let megabytes = |m: Measurement| format!("{:.1} MB", m.peak_rss_bytes as f64 / 1e6);
    let time_ratio = |base: Measurement| ours.elapsed.as_secs_f64() / base.elapsed.as_secs_f64();
    let rss_ratio = |base: Measurement| ours.peak_rss_bytes as f64 / base.peak_rss_bytes as f64;

    println!("## Spreadsheet import preview\n");
    println!(
        "Workload: one generated workbook (`spreadsheet::sample::generate_workbook`) with {HOST_ROWS} `VPS` rows and \
         {SALE_ROWS} `AKUN` rows, {defective} of them defective (~{:.0}%), mixed header spellings, every date form and \
         IDR/USD prices in several spellings: {:.1} MB of .xlsx, {:.1} MB of XML inside. Baseline: calamine alone on the \
         same bytes, opening the workbook and touching every cell of every sheet, streamed with \
         `worksheet_cells_reader` (the cheapest way to read every cell) and, for reference, through \
         `worksheet_range`. Ours: `spreadsheet::preview` (zip-bomb check of the central directory, header aliasing, \
         typed parsing and validation of every field, row problems, summary). Each measurement runs in a fresh child \
         process: wall time is the median of {RUNS} runs, peak RSS (`VmHWM`) the highest of them, and includes the \
         {:.1} MB file held in memory (a child that only loads the file peaks at {}).\n",
        DEFECT_RATIO * 100.0,
        sample.bytes.len() as f64 / 1e6,
        xml_bytes as f64 / 1e6,
        sample.bytes.len() as f64 / 1e6,
        megabytes(load),
    );
    println!("| workload | ours | baseline | ratio |");
    println!("| --- | ---: | ---: | ---: |");
    println!(
        "| wall time, vs calamine streaming cells | {} | {} | {:.2}× |",
        seconds(ours),
        seconds(cells),
        time_ratio(cells)
    );
    println!(
        "| wall time, vs calamine `worksheet_range` | {} | {} | {:.2}× |",
        seconds(ours),
        seconds(range),
        time_ratio(range)
    );
    println!(
        "| peak RSS, vs calamine streaming cells | {} | {} | {:.2}× |",
        megabytes(ours),
        megabytes(cells),
        rss_ratio(cells)
    );
    println!(
        "| peak RSS, vs calamine `worksheet_range` | {} | {} | {:.2}× |",
        megabytes(ours),
        megabytes(range),
        rss_ratio(range)
    );
    println!(
        "| rows per second | {:.0} | {:.0} | |",
        (HOST_ROWS + SALE_ROWS) as f64 / ours.elapsed.as_secs_f64(),
        (HOST_ROWS + SALE_ROWS) as f64 / cells.elapsed.as_secs_f64()
    );
    println!();
    let time_met = time_ratio(cells) <= TIME_RATIO_TARGET;
    let rss_met = ours.peak_rss_bytes < PEAK_RSS_TARGET_BYTES;
    println!(
        "Targets: wall time ≤ {TIME_RATIO_TARGET}× the streaming baseline — {} ({:.2}×); peak RSS < {} MB — {} ({}).\n",
        if time_met { "met" } else { "NOT met" },
        time_ratio(cells),
        PEAK_RSS_TARGET_BYTES / 1_000_000,
        if rss_met { "met" } else { "NOT met" },
        megabytes(ours),
    );
}
