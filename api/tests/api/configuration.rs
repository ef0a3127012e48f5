//! `.env.example`, `compose.yaml` and the code agree on the variables the api and the migration
//! CLI read: every variable the code reads is documented in `.env.example` and passed to the api
//! container, and neither file names one the code does not read.

use std::collections::BTreeSet;

use testkit::repo_root;

/// Variables read by the code, found where settings are read (so a new one cannot be missed).
fn read_by_code() -> BTreeSet<String> {
    let sources = [
        "api/src/settings.rs",
        "api/src/cli.rs",
        "migration/src/main.rs",
        "migration/src/data_source/settings.rs",
        "migration/src/data_source/manifest.rs",
        "migration/src/data_source/sources.rs",
    ];
    let mut names = BTreeSet::new();
    for source in sources {
        let text = std::fs::read_to_string(repo_root().join(source)).expect(source);
        for call in ["parse(", "parse::<u64>(", "var(", "env_var(", "var_os("] {
            for (at, _) in text.match_indices(call) {
                // The name may be on the next line (rustfmt breaks long calls).
                let Some(rest) = text[at + call.len()..].trim_start().strip_prefix('"') else { continue };
                let name: String =
                    rest.chars().take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_').collect();
                if !name.is_empty() && rest[name.len()..].starts_with('"') {
                    names.insert(name);
                }
            }
        }
    }
    names
}

/// `NAME=` or `# NAME=` at the start of a line.
fn in_env_example() -> BTreeSet<String> {
    let text = std::fs::read_to_string(repo_root().join(".env.example")).expect(".env.example");
    text.lines()
        .map(|line| line.trim_start_matches('#').trim())
        .filter_map(|line| line.split_once('=').map(|(name, _)| name))
        .filter(|name| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
        .map(str::to_owned)
        .collect()
}

/// The keys of the api service's `environment:` block.
fn in_compose_api() -> BTreeSet<String> {
    let text = std::fs::read_to_string(repo_root().join("compose.yaml")).expect("compose.yaml");
    let mut names = BTreeSet::new();
    let (mut in_api, mut in_environment) = (false, false);
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        match (indent, line.trim()) {
            (2, key) => in_api = key == "api:",
            (4, key) => in_environment = in_api && key == "environment:",
            (6, entry) if in_environment && !entry.starts_with('#') => {
                if let Some((name, _)) = entry.split_once(':') {
                    names.insert(name.trim().to_owned());
                }
            }
            _ => {}
        }
    }
    names
}

#[test]
fn env_example_compose_and_the_settings_name_the_same_variables() {
    let code = read_by_code();
    assert!(
        code.contains("DATABASE_URL") && code.contains("TRUSTED_PROXIES") && code.contains("DATA_SOURCE"),
        "{code:?}"
    );
    // Read by libraries rather than our code, or only by the tools around it.
    let outside_code: BTreeSet<String> =
        ["RUST_LOG", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "POSTGRES_PASSWORD", "TEST_DATABASE_ADMIN_URL"]
            .map(str::to_owned)
            .into();
    // Meaningless in the container: the CLI password is typed, not configured.
    let not_for_the_container: BTreeSet<String> = ["BLW_PASSWORD"].map(str::to_owned).into();

    let documented = in_env_example();
    let missing_from_example: Vec<&String> = code.difference(&documented).collect();
    assert!(missing_from_example.is_empty(), ".env.example lacks {missing_from_example:?}");
    let unknown_in_example: Vec<&String> =
        documented.iter().filter(|n| !code.contains(*n) && !outside_code.contains(*n)).collect();
    assert!(unknown_in_example.is_empty(), ".env.example names {unknown_in_example:?}, which nothing reads");

    let compose = in_compose_api();
    let missing_from_compose: Vec<&String> =
        code.iter().filter(|n| !compose.contains(*n) && !not_for_the_container.contains(*n)).collect();
    assert!(missing_from_compose.is_empty(), "compose.yaml's api lacks {missing_from_compose:?}");
    let unknown_in_compose: Vec<&String> =
        compose.iter().filter(|n| !code.contains(*n) && !outside_code.contains(*n)).collect();
    assert!(unknown_in_compose.is_empty(), "compose.yaml's api sets {unknown_in_compose:?}, which nothing reads");
}
