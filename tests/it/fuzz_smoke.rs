//! The fuzz targets (`fuzz/src/lib.rs`) as plain tests: each runs over its
//! seed inputs and a fixed number of deterministic mutations of them (byte
//! flips, cuts, splices, repeated slices, inserted brackets and keywords), so
//! the stable toolchain and CI exercise every parser and evaluator with
//! malformed input. Long coverage-guided runs are `scripts/fuzz.sh`.

use crate::fuzz_targets as targets;

use std::path::Path;

fn project(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Seed inputs of a target: files under `dirs` with extension `ext`, plus
/// the crash inputs kept under `tests/fixtures/regressions/<target>/`.
fn seeds(target: &str, dirs: &[&str], ext: &str, limit: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut roots: Vec<std::path::PathBuf> = dirs.iter().map(|d| project(d)).collect();
    roots.push(project(&format!("tests/fixtures/regressions/{target}")));
    for root in roots {
        let mut stack = vec![root];
        let mut files = Vec::new();
        while let Some(d) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if ext.is_empty() || p.extension().is_some_and(|x| x == ext) {
                    files.push(p);
                }
            }
        }
        files.sort();
        out.extend(files.iter().filter_map(|p| std::fs::read(p).ok()));
    }
    out.truncate(limit.max(1));
    out
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    "(",
    ")",
    "'",
    "\"",
    "${",
    "%{",
    "\\",
    ",",
    ":",
    "=",
    "\n",
    "\0",
    "é",
    "[for i in range(0, 100000000): i]",
    "copyIndex()",
    "concat(",
    "count = 100000000",
    "module x './main.bicep' = {}",
    "\"relativePath\": \"azuredeploy.json\"",
    "null",
    "-1",
    "9223372036854775807",
    "1e308",
    "@secure()",
    "for_each = range(100000000)",
    "<<EOT\n",
];

fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = v.len();
        match rng.below(6) {
            0 if len > 0 => {
                let i = rng.below(len);
                v[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => v.truncate(rng.below(len)),
            2 if len > 0 => {
                let a = rng.below(len);
                let b = (a + rng.below(64)).min(len);
                let slice = v[a..b].to_vec();
                let at = rng.below(len);
                for _ in 0..1 + rng.below(50) {
                    v.splice(at..at, slice.iter().copied());
                }
            }
            3 => {
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                let at = rng.below(len + 1);
                v.splice(at..at, t.iter().copied());
            }
            4 if len > 0 => {
                let a = rng.below(len);
                let b = (a + rng.below(256)).min(len);
                v.drain(a..b);
            }
            _ => {
                let at = rng.below(len + 1);
                let open = [b'[', b'{', b'('][rng.below(3)];
                v.splice(at..at, std::iter::repeat_n(open, rng.below(5_000)));
            }
        }
    }
    v
}

fn run(target: &str, seeds: Vec<Vec<u8>>, mutations: usize) {
    let f = targets::TARGETS
        .iter()
        .find(|(n, _)| *n == target)
        .expect("a target")
        .1;
    assert!(!seeds.is_empty(), "{target}: no seeds");
    for s in &seeds {
        f(s);
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ target.len() as u64);
    for i in 0..mutations {
        let input = mutate(&seeds[i % seeds.len()], &mut rng);
        f(&input);
    }
}

#[test]
fn fuzz_arm_template() {
    let s = seeds(
        "arm_template",
        &[
            "examples",
            "../shared/corpus/realworld/anthony-c-martin__azure-quickstart-templates",
        ],
        "json",
        12,
    );
    run("arm_template", s, 300);
}

#[test]
fn fuzz_arm_expression() {
    let mut s: Vec<Vec<u8>> = [
        "[concat('a', parameters('s'), string(add(1, 2)))]",
        "[if(equals(parameters('u'), 'x'), createArray(1, 2), json('{\"a\": [1]}'))]",
        "[resourceId('Microsoft.MachineLearningServices/workspaces', parameters('s'))]",
        "[range(0, 1000000000)]",
        "[padLeft('x', 2000000000, 'y')]",
        "[map(range(0, 10), lambda('i', mul(lambdaVariables('i'), 2)))]",
        "[format('{0}-{1}', uniqueString(resourceGroup().id), guid('a'))]",
        "[split(replace(toLower('A,B'), ',', ';'), ';')[0]]",
        "[parameters('a')[1].x.y]",
        "[base64(string(union(createObject('a', 1), createObject('b', 2))))]",
        "[dateTimeAdd(utcNow(), 'P1D')]",
        "[cidrSubnet('10.0.0.0/8', 24, 4294967295)]",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    s.extend(seeds("arm_expression", &[], "", 0));
    run("arm_expression", s, 3_000);
}

#[test]
fn fuzz_bicep() {
    let s = seeds(
        "bicep",
        &[
            "tests/fixtures/bicep",
            "../shared/corpus/realworld/Azure__azureml-examples",
        ],
        "bicep",
        12,
    );
    run("bicep", s, 300);
}

#[test]
fn fuzz_terraform() {
    let s = seeds(
        "terraform",
        &[
            "tests/fixtures/terraform",
            "../shared/corpus/realworld/bridgecrewio__checkov",
        ],
        "tf",
        12,
    );
    run("terraform", s, 300);
}

#[test]
fn fuzz_yaml() {
    let s = seeds(
        "yaml",
        &[
            "tests/fixtures/yaml",
            "../shared/corpus/realworld/Azure__azureml-examples/cli",
        ],
        "yml",
        40,
    );
    run("yaml", s, 1_000);
}

#[test]
fn fuzz_plan() {
    let s = seeds("plan", &["tests/fixtures/terraform/plan-101"], "json", 4);
    run("plan", s, 300);
}

#[test]
fn fuzz_policy_definition() {
    let s = seeds("policy_definition", &["policies/builtin"], "json", 24);
    run("policy_definition", s, 60);
}

#[test]
fn fuzz_config() {
    let mut s = vec![std::fs::read_to_string(project("docs/configuration.md"))
        .unwrap()
        .split("```toml")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .unwrap()
        .as_bytes()
        .to_vec()];
    s.extend(seeds("config", &[], "", 0));
    run("config", s, 1_000);
}

#[test]
fn fuzz_live_export() {
    let mut s = seeds(
        "live_export",
        &["tests/fixtures/live", "tests/fixtures/live-az-ml"],
        "json",
        8,
    );
    s.push(
        br#"{"exportFormat": "aml-baseline-live-export/1", "value": [], "incomplete": [{"type": "Microsoft.MachineLearningServices/workspaces/computes", "scope": "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w", "reason": "403"}, {"type": "x", "scope": "/"}, {}], "warnings": ["a"]}"#
            .to_vec(),
    );
    run("live_export", s, 600);
}

#[test]
fn fuzz_fix_editors() {
    let mut s: Vec<Vec<u8>> = Vec::new();
    for (kind, ext) in [(0u8, "json"), (1, "bicep"), (2, "tf"), (3, "yml")] {
        for seed in seeds("fix", &["tests/fixtures/fix"], ext, 3) {
            s.push([vec![kind], seed].concat());
        }
    }
    run("fix", s, 40);
}
