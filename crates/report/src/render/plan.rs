//! Which report goes where: `--format` and `--output` paired in the order
//! they were given on the command line.

use super::OutputFormat;
use std::path::PathBuf;

/// Where each requested format goes: a file, or standard output (`None`).
pub type OutputPlan = Vec<(OutputFormat, Option<PathBuf>)>;

/// Pairs every `--output` with the `--format` given closest before it (or,
/// when none is before it, the first unpaired one after it). Without
/// `--format` the format is `text`. At most one format may go to standard
/// output, no file may be named twice and every output needs a format.
pub fn pair_outputs(
    formats: &[(usize, OutputFormat)],
    outputs: &[(usize, PathBuf)],
) -> Result<OutputPlan, String> {
    let formats: Vec<(usize, OutputFormat)> = if formats.is_empty() {
        vec![(0, OutputFormat::Text)]
    } else {
        formats.to_vec()
    };
    let mut target: Vec<Option<PathBuf>> = vec![None; formats.len()];
    for (at, path) in outputs {
        let before = (0..formats.len())
            .rev()
            .find(|&i| formats[i].0 < *at && target[i].is_none());
        let slot = before.or_else(|| (0..formats.len()).find(|&i| target[i].is_none()));
        match slot {
            Some(i) => target[i] = Some(path.clone()),
            None => {
                return Err(format!(
                    "--output {} has no --format to write (give one --format per --output)",
                    path.display()
                ))
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for p in target.iter().flatten() {
        if !seen.insert(p.clone()) {
            return Err(format!("--output {} is given twice", p.display()));
        }
    }
    let to_stdout: Vec<&str> = formats
        .iter()
        .zip(&target)
        .filter(|(_, t)| t.is_none())
        .map(|((_, f), _)| f.name())
        .collect();
    if to_stdout.len() > 1 {
        return Err(format!(
            "only one format can go to standard output, but {} have no --output",
            to_stdout.join(", ")
        ));
    }
    Ok(formats.into_iter().map(|(_, f)| f).zip(target).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_pair_with_the_format_before_them() {
        let plan = pair_outputs(
            &[(1, OutputFormat::Json), (3, OutputFormat::Sarif)],
            &[(2, "a.json".into()), (4, "b.sarif".into())],
        )
        .unwrap();
        assert_eq!(
            plan,
            vec![
                (OutputFormat::Json, Some("a.json".into())),
                (OutputFormat::Sarif, Some("b.sarif".into()))
            ]
        );
        assert_eq!(
            pair_outputs(&[], &[]).unwrap(),
            vec![(OutputFormat::Text, None)]
        );
        let two_to_stdout = pair_outputs(&[(1, OutputFormat::Json), (2, OutputFormat::Csv)], &[]);
        assert!(two_to_stdout.unwrap_err().contains("only one format"));
        let twice = pair_outputs(
            &[(1, OutputFormat::Json), (3, OutputFormat::Csv)],
            &[(2, "x".into()), (4, "x".into())],
        );
        assert!(twice.unwrap_err().contains("given twice"));
    }
}
