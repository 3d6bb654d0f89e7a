//! Secret detectors: each rule on generated samples with exact expected findings, near
//! misses, chunk splits, redaction. Secrets are assembled at run time so that this source
//! file holds no token a scanner (ours included) would flag.

mod common;

use common::*;
use layerlens_sniff::secrets::{text_candidate, Scope};
use layerlens_sniff::{scan_config, start, ConfigField, Finding, FindingKind, Found};

/// A deterministic random string over `alphabet`.
fn rnd(seed: u64, n: usize, alphabet: &str) -> String {
    let a = alphabet.as_bytes();
    random_sizes(seed, 1 << 30, n)
        .iter()
        .map(|&x| a[x % a.len()] as char)
        .collect()
}
const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn findings(found: &[Found]) -> Vec<&Finding> {
    found
        .iter()
        .filter_map(|f| match f {
            Found::Finding(x) => Some(x),
            _ => None,
        })
        .collect()
}

/// (rule, line, offset, excerpt as displayed)
fn summary(found: &[Found]) -> Vec<(&'static str, u32, u64, String)> {
    findings(found)
        .iter()
        .map(|f| (f.rule, f.line, f.offset, f.excerpt.to_string()))
        .collect()
}

/// No form of the findings may contain any of the secrets.
fn assert_no_leak(found: &[Found], secrets: &[&str]) {
    let forms = [
        format!("{found:?}"),
        format!("{found:#?}"),
        serde_json::to_string(found).unwrap(),
        found
            .iter()
            .map(|f| f.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    ];
    for s in secrets {
        // Any 8-character window of a secret is a leak (prefixes like `ghp_` are 4).
        let b = s.as_bytes();
        for w in b.windows(8.min(b.len())) {
            let w = std::str::from_utf8(w).unwrap();
            for form in &forms {
                assert!(!form.contains(w), "leak of {w:?} (from {s:?}) in {form}");
            }
        }
    }
}

fn at(text: &str, needle: &str) -> u64 {
    text.find(needle)
        .unwrap_or_else(|| panic!("{needle} not in text")) as u64
}

struct Tokens {
    github: String,
    github_pat: String,
    gitlab: String,
    slack: String,
    stripe: String,
    google: String,
    pypi: String,
    aws_id: String,
    aws_secret: String,
}

fn tokens() -> Tokens {
    Tokens {
        github: format!("gh{}_{}", "p", rnd(1, 36, ALNUM)),
        github_pat: format!(
            "github{}pat_{}_{}",
            "_",
            rnd(2, 22, ALNUM),
            rnd(3, 59, ALNUM)
        ),
        gitlab: format!("glp{}-{}", "at", rnd(4, 20, ALNUM)),
        slack: format!(
            "xo{}b-{}-{}-{}",
            "x",
            rnd(5, 11, "0123456789"),
            rnd(6, 12, "0123456789"),
            rnd(7, 24, ALNUM)
        ),
        stripe: format!("sk{}live_{}", "_", rnd(8, 24, ALNUM)),
        google: format!("AI{}{}", "za", rnd(9, 35, ALNUM)),
        pypi: format!("pypi-AgEI{}{}", "cHlwaS5vcmc", rnd(10, 60, ALNUM)),
        aws_id: format!("AK{}{}", "IA", rnd(11, 16, B32)),
        aws_secret: rnd(12, 40, B64),
    }
}

#[test]
fn each_token_rule() {
    let t = tokens();
    let text = format!(
        "# service config\nservices:\n  github: {}\n  github_fine: \"{}\"\n  gitlab: {}\n  slack: '{}'\n  stripe: {}\n  maps: {}\n  pypi: {}\n  aws:\n    access_key_id: {}\n    secret_access_key: {}\n",
        t.github, t.github_pat, t.gitlab, t.slack, t.stripe, t.google, t.pypi, t.aws_id, t.aws_secret
    );
    let found = feed_all_ways("srv/app/config.yaml", 0o644, text.as_bytes());
    let n = |s: &str| s.len();
    assert_eq!(
        summary(&found),
        vec![
            (
                "github-token",
                3,
                at(&text, &t.github),
                format!("ghp_…({})", n(&t.github))
            ),
            (
                "github-pat",
                4,
                at(&text, &t.github_pat),
                format!("gith…({})", n(&t.github_pat))
            ),
            (
                "gitlab-pat",
                5,
                at(&text, &t.gitlab),
                format!("glpa…({})", n(&t.gitlab))
            ),
            (
                "slack-token",
                6,
                at(&text, &t.slack),
                format!("xoxb…({})", n(&t.slack))
            ),
            (
                "stripe-live-key",
                7,
                at(&text, &t.stripe),
                format!("sk_l…({})", n(&t.stripe))
            ),
            (
                "google-api-key",
                8,
                at(&text, &t.google),
                "AIza…(39)".to_string()
            ),
            (
                "pypi-token",
                9,
                at(&text, &t.pypi),
                format!("pypi…({})", n(&t.pypi))
            ),
            (
                "aws-access-key-id",
                11,
                at(&text, &t.aws_id),
                "AKIA…(20)".to_string()
            ),
            (
                "aws-secret-access-key",
                12,
                at(&text, &t.aws_secret),
                "secret_access_key …(40)".to_string()
            ),
        ]
    );
    assert!(findings(&found)
        .iter()
        .all(|f| f.kind == FindingKind::Secret));
    assert_no_leak(
        &found,
        &[
            &t.github[4..],
            &t.github_pat[11..],
            &t.gitlab[6..],
            &t.slack[5..],
            &t.stripe[8..],
            &t.google[4..],
            &t.pypi[20..],
            &t.aws_id[4..],
            &t.aws_secret,
        ],
    );
}

#[test]
fn near_misses_are_not_found() {
    let t = tokens();
    let text = format!(
        "AWS docs: AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n\
         aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n\
         short: AKIAEXAMPLE and ghp_shorttoken and sk_live_123\n\
         placeholder: ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n\
         inside a word: xghp_{} and {}Z\n\
         a lone key id without its secret: {}\n\
         -----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n-----END PUBLIC KEY-----\n\
         -----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\n-----END CERTIFICATE-----\n\
         if line.startswith(\"-----BEGIN RSA PRIVATE KEY-----\"):\n\
         doc = \"\"\"-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\"\"\"\n\
         ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGXf0gE2m6tLrqDAHbJtOe4DPu0zqcS9VjYqRxrnIvHT user@host\n",
        &t.github[4..],
        t.aws_id,
        t.aws_id
    );
    let found = feed_all_ways("srv/app/README.txt", 0o644, text.as_bytes());
    assert_eq!(summary(&found), vec![]);
    // The secret more than 4 KiB from the key id: only the secret counts.
    let far = format!(
        "id = {}\n{}\naws_secret_access_key = {}\n",
        t.aws_id,
        "#".repeat(5000),
        t.aws_secret
    );
    let found = feed_all_ways("srv/app/notes.txt", 0o644, far.as_bytes());
    assert_eq!(
        summary(&found).iter().map(|x| x.0).collect::<Vec<_>>(),
        vec!["aws-secret-access-key"]
    );
}

fn pem(label: &str, lines: usize, seed: u64, nl: &str) -> String {
    let mut s = format!("-----BEGIN {label}-----{nl}");
    for i in 0..lines {
        s.push_str(&rnd(seed + i as u64, 64, B64));
        s.push_str(nl);
    }
    s.push_str(&rnd(seed + 99, 20, B64));
    s.push_str("==");
    s.push_str(nl);
    s.push_str(&format!("-----END {label}-----"));
    s
}

#[test]
fn pem_private_keys() {
    let mut text = String::from("keys:\n");
    let mut expected = Vec::new();
    for (i, label) in [
        "RSA PRIVATE KEY",
        "EC PRIVATE KEY",
        "DSA PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
        "OPENSSH PRIVATE KEY",
        "PRIVATE KEY",
        "PGP PRIVATE KEY BLOCK",
    ]
    .iter()
    .enumerate()
    {
        let nl = if i == 2 { "\r\n" } else { "\n" };
        let block = pem(label, 5 + i, 100 * i as u64, nl);
        let line = 1 + text.matches('\n').count() as u32;
        expected.push((
            "pem-private-key",
            line,
            text.len() as u64,
            format!("-----BEGIN {label}----- …({})", block.len()),
        ));
        text.push_str(&block);
        text.push('\n');
    }
    // Legacy encrypted PEM: headers before the body.
    let legacy = format!("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,{}\n\n{}\n-----END RSA PRIVATE KEY-----", rnd(7, 32, "0123456789ABCDEF"), rnd(8, 64, B64));
    let line = 1 + text.matches('\n').count() as u32;
    expected.push((
        "pem-private-key",
        line,
        text.len() as u64,
        format!("-----BEGIN RSA PRIVATE KEY----- …({})", legacy.len()),
    ));
    text.push_str(&legacy);
    text.push('\n');
    let found = feed_all_ways("etc/ssl/private/server.key", 0o600, text.as_bytes());
    assert_eq!(summary(&found), expected);
    assert!(findings(&found)
        .iter()
        .all(|f| f.kind == FindingKind::PrivateKey));
    let bodies: Vec<String> = (0..7).map(|i| rnd(100 * i, 64, B64)).collect();
    assert_no_leak(
        &found,
        &bodies.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    // A key whose END never comes: length unknown.
    let cut = &pem("RSA PRIVATE KEY", 5, 1, "\n")[..200];
    let found = feed_all_ways("root/.ssh/id_rsa", 0o600, cut.as_bytes());
    assert_eq!(
        summary(&found),
        vec![(
            "pem-private-key",
            1,
            0,
            "-----BEGIN RSA PRIVATE KEY----- …".to_string()
        )]
    );
}

#[test]
fn real_keys_from_openssl_and_ssh_keygen() {
    let dir = tempdir("keys");
    let mut made = 0;
    if std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
        ])
        .arg(dir.join("ec.pem"))
        .status()
        .is_ok_and(|s| s.success())
    {
        let b = std::fs::read(dir.join("ec.pem")).unwrap();
        let found = feed_all_ways("app/certs/ec.pem", 0o600, &b);
        assert_eq!(
            summary(&found),
            vec![(
                "pem-private-key",
                1,
                0,
                format!("-----BEGIN PRIVATE KEY----- …({})", b.len() - 1)
            )]
        );
        made += 1;
    }
    if std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(dir.join("id_ed25519"))
        .status()
        .is_ok_and(|s| s.success())
    {
        let b = std::fs::read(dir.join("id_ed25519")).unwrap();
        let found = feed_all_ways("home/dev/.ssh/id_ed25519", 0o600, &b);
        assert_eq!(
            summary(&found),
            vec![(
                "pem-private-key",
                1,
                0,
                format!("-----BEGIN OPENSSH PRIVATE KEY----- …({})", b.len() - 1)
            )]
        );
        // The public half is not a candidate.
        assert!(start("home/dev/.ssh/id_ed25519.pub", 100, 0o644).is_none());
        made += 1;
    }
    if made == 0 {
        eprintln!("SKIPPED: neither openssl nor ssh-keygen");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn private_key_in_service_account_json() {
    let key = pem("PRIVATE KEY", 6, 77, "\\n");
    let json = format!("{{\n  \"type\": \"service_account\",\n  \"project_id\": \"demo\",\n  \"private_key_id\": \"{}\",\n  \"private_key\": \"{}\\n\",\n  \"client_email\": \"x@demo.iam.gserviceaccount.com\"\n}}\n", rnd(3, 40, "0123456789abcdef"), key);
    let found = feed_all_ways("app/gcp/sa.json", 0o644, json.as_bytes());
    assert_eq!(
        summary(&found),
        vec![(
            "private-key-in-json",
            5,
            at(&json, "-----BEGIN"),
            format!("-----BEGIN PRIVATE KEY----- …({})", key.len())
        )]
    );
    assert_eq!(findings(&found)[0].kind, FindingKind::Secret);
}

#[test]
fn split_across_chunks() {
    let t = tokens();
    let key = pem("RSA PRIVATE KEY", 4, 5, "\n");
    let text = format!("x = 1\ntoken: {}\n{}\n", t.github, key);
    let b = text.as_bytes();
    let whole = feed_with("srv/app/a.yml", 0o644, b, &[b.len()]).unwrap();
    assert_eq!(
        summary(&whole).iter().map(|x| x.0).collect::<Vec<_>>(),
        vec!["github-token", "pem-private-key"]
    );
    // Two chunks, split at every byte: inside `ghp_`, inside the token, inside `-----BEGIN`,
    // inside the label, inside `-----END`.
    for cut in 1..b.len() {
        let got = feed_with("srv/app/a.yml", 0o644, b, &[cut, b.len()]).unwrap();
        assert_eq!(got, whole, "cut at {cut}");
    }
}

#[test]
fn env_files() {
    let t = tokens();
    let text = format!(
        "# app settings\n\
         export DB_PASSWORD=\"hunter2-Very-Secret\"\n\
         API_TOKEN=${{API_TOKEN}}\n\
         SECRET_KEY_BASE=changeme\n\
         TOKEN_URL=https://auth.example.com/token\n\
         PASSWORD_FILE=/run/secrets/db\n\
         DATABASE_URL=postgres://app:pa55w0rd-xyz@db:5432/app\n\
         GITHUB_TOKEN={}\n\
         STRIPE_SECRET=abc123def456 # the test key\n\
         PWD=/app\n",
        t.github
    );
    let found = feed_all_ways("srv/app/.env", 0o644, text.as_bytes());
    assert_eq!(
        summary(&found),
        vec![
            (
                "generic-secret",
                2,
                at(&text, "hunter2"),
                "DB_PASSWORD= …(19)".to_string()
            ),
            (
                "url-credentials",
                7,
                at(&text, "pa55w0rd"),
                "postgres://app: …(12)".to_string()
            ),
            (
                "github-token",
                8,
                at(&text, &t.github),
                "ghp_…(40)".to_string()
            ),
            (
                "generic-secret",
                9,
                at(&text, "abc123def456"),
                "STRIPE_SECRET= …(12)".to_string()
            ),
        ]
    );
    assert_no_leak(
        &found,
        &[
            "hunter2-Very-Secret",
            "pa55w0rd-xyz",
            &t.github[4..],
            "abc123def456",
        ],
    );
    // Templates: token rules only (placeholders expected).
    let found = feed_all_ways("srv/app/.env.example", 0o644, text.as_bytes());
    assert_eq!(
        summary(&found).iter().map(|x| x.0).collect::<Vec<_>>(),
        vec!["github-token"]
    );
    // Generic assignments in other files are not findings.
    let found = feed_all_ways(
        "srv/app/settings.py",
        0o644,
        b"DB_PASSWORD = \"hunter2-Very-Secret\"\n",
    );
    assert_eq!(summary(&found), vec![]);
}

#[test]
fn credential_files() {
    let t = tokens();
    let npm = format!("registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=npm_{}\n//npm.internal/:_authToken=${{NPM_TOKEN}}\n", rnd(20, 36, ALNUM));
    let found = feed_all_ways("root/.npmrc", 0o600, npm.as_bytes());
    assert_eq!(
        summary(&found),
        vec![(
            "npm-auth-token",
            2,
            at(&npm, "npm_"),
            "//registry.npmjs.org/:_authToken= npm_…(40)".to_string()
        )]
    );
    assert_no_leak(
        &found,
        &[&npm[at(&npm, "npm_") as usize + 4..at(&npm, "npm_") as usize + 40]],
    );

    let pypirc = "[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = __token__\npassword = s3cr3t-pypi-pass\n";
    let found = feed_all_ways("home/u/.pypirc", 0o600, pypirc.as_bytes());
    assert_eq!(
        summary(&found),
        vec![(
            "pypirc-password",
            6,
            at(pypirc, "s3cr3t"),
            "password= …(16)".to_string()
        )]
    );

    let gc = "https://alice:s3cr3t-Pass@github.com\nhttps://bob@example.com\n";
    let found = feed_all_ways("root/.git-credentials", 0o600, gc.as_bytes());
    assert_eq!(
        summary(&found),
        vec![(
            "url-credentials",
            1,
            at(gc, "s3cr3t"),
            "https://alice: …(11)".to_string()
        )]
    );

    let docker = "{\n\t\"auths\": {\n\t\t\"registry.example.com\": {\n\t\t\t\"auth\": \"dXNlcjpodW50ZXIyLXNlY3JldA==\"\n\t\t},\n\t\t\"ghcr.io\": {}\n\t}\n}\n";
    let found = feed_all_ways("root/.docker/config.json", 0o600, docker.as_bytes());
    assert_eq!(
        summary(&found),
        vec![(
            "docker-config-auth",
            4,
            at(docker, "dXNl"),
            "\"auth\" …(28)".to_string()
        )]
    );
    assert_no_leak(&found, &["dXNlcjpodW50ZXIyLXNlY3JldA=="]);

    let netrc = "machine api.example.com\n  login deploy\n  password n3trc-Secret-99\n";
    let found = feed_all_ways("root/.netrc", 0o600, netrc.as_bytes());
    assert_eq!(
        summary(&found),
        vec![(
            "netrc-password",
            3,
            at(netrc, "n3trc"),
            "password …(15)".to_string()
        )]
    );

    let aws = format!(
        "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\nregion = eu-west-1\n",
        t.aws_id, t.aws_secret
    );
    let found = feed_all_ways("root/.aws/credentials", 0o600, aws.as_bytes());
    assert_eq!(
        summary(&found),
        vec![
            (
                "aws-access-key-id",
                2,
                at(&aws, &t.aws_id),
                "AKIA…(20)".to_string()
            ),
            (
                "aws-secret-access-key",
                3,
                at(&aws, &t.aws_secret),
                "secret_access_key …(40)".to_string()
            ),
        ]
    );
}

#[test]
fn config_strings() {
    let t = tokens();
    let env = format!("AWS_SECRET_ACCESS_KEY={}", t.aws_secret);
    assert_eq!(
        scan_config(ConfigField::Env, &env)
            .iter()
            .map(|f| (f.kind, f.rule, f.offset, f.excerpt.to_string()))
            .collect::<Vec<_>>(),
        vec![(
            FindingKind::SecretInConfig,
            "aws-secret-access-key",
            22,
            "SECRET_ACCESS_KEY …(40)".to_string()
        )]
    );
    let env = "DB_PASSWORD=hunter2xyz";
    let f = scan_config(ConfigField::Env, env);
    assert_eq!(
        f.iter()
            .map(|f| (f.rule, f.offset, f.excerpt.to_string()))
            .collect::<Vec<_>>(),
        vec![("generic-secret", 12, "DB_PASSWORD= …(10)".to_string())]
    );
    for benign in [
        "PATH=/usr/local/sbin:/usr/local/bin",
        "PASSWORD_FILE=/run/secrets/pw",
        "TOKEN=${TOKEN}",
        "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D",
        "LANG=C.UTF-8",
    ] {
        assert_eq!(scan_config(ConfigField::Env, benign), vec![], "{benign}");
    }
    // Build args recorded by the classic builder, ENV/ARG instructions, URLs in RUN.
    let h = format!(
        "|2 NPM_TOKEN={} GIT_PASSWORD=s3cr3tpass /bin/sh -c npm ci",
        t.github
    );
    assert_eq!(
        scan_config(ConfigField::History, &h)
            .iter()
            .map(|f| (f.rule, f.offset))
            .collect::<Vec<_>>(),
        vec![
            ("github-token", at(&h, &t.github)),
            ("generic-secret", at(&h, "s3cr3tpass"))
        ]
    );
    let h = "/bin/sh -c #(nop)  ENV API_KEY=abcd1234efgh SERVICE_NAME=web";
    assert_eq!(
        scan_config(ConfigField::History, h)
            .iter()
            .map(|f| (f.rule, f.offset, f.excerpt.to_string()))
            .collect::<Vec<_>>(),
        vec![(
            "generic-secret",
            at(h, "abcd"),
            "API_KEY= …(12)".to_string()
        )]
    );
    let h = "ENV DB_PASSWORD hunter2 with spaces";
    assert_eq!(
        scan_config(ConfigField::History, h)
            .iter()
            .map(|f| (f.rule, f.offset, f.excerpt.to_string()))
            .collect::<Vec<_>>(),
        vec![(
            "generic-secret",
            at(h, "hunter2"),
            "DB_PASSWORD= …(19)".to_string()
        )]
    );
    let h =
        "RUN /bin/sh -c git clone https://deploy:tok3n-Value@git.example.com/x/y.git # buildkit";
    assert_eq!(
        scan_config(ConfigField::History, h)
            .iter()
            .map(|f| (f.rule, f.offset))
            .collect::<Vec<_>>(),
        vec![("url-credentials", at(h, "tok3n"))]
    );
    assert_eq!(
        scan_config(
            ConfigField::History,
            "/bin/sh -c #(nop)  ENV PYTHON_VERSION=3.12.1"
        ),
        vec![]
    );
    let label = scan_config(
        ConfigField::Label {
            key: "com.example.api-token",
        },
        "q9Zx81LmPq",
    );
    assert_eq!(
        label
            .iter()
            .map(|f| (f.rule, f.offset, f.excerpt.to_string()))
            .collect::<Vec<_>>(),
        vec![(
            "generic-secret",
            0,
            "com.example.api-token= …(10)".to_string()
        )]
    );
    assert_eq!(
        scan_config(
            ConfigField::Label {
                key: "org.opencontainers.image.source"
            },
            "https://github.com/x/y"
        ),
        vec![]
    );
    let all: Vec<Found> = scan_config(
        ConfigField::History,
        &format!(
            "|2 NPM_TOKEN={} GIT_PASSWORD=s3cr3tpass /bin/sh -c npm ci",
            t.github
        ),
    )
    .into_iter()
    .map(Found::Finding)
    .collect();
    assert_no_leak(&all, &[&t.github[4..], "s3cr3tpass"]);
}

#[test]
fn candidates() {
    use Scope::*;
    let cases: &[(&str, u64, Option<Scope>)] = &[
        ("root/.npmrc", 100, Some(Npmrc)),
        ("home/u/.pypirc", 100, Some(Pypirc)),
        ("root/.git-credentials", 100, Some(GitCredentials)),
        ("app/.git/config", 100, Some(GitCredentials)),
        ("root/.docker/config.json", 100, Some(DockerConfig)),
        ("root/.aws/credentials", 100, Some(AwsCredentials)),
        ("root/.netrc", 100, Some(Netrc)),
        ("root/.ssh/id_rsa", 100, Some(Key)),
        ("root/.ssh/deploy_key", 100, Some(Key)),
        ("root/.ssh/id_rsa.pub", 100, None),
        ("root/.ssh/known_hosts", 100, None),
        ("etc/ssh/ssh_host_ed25519_key", 400, Some(Key)),
        ("etc/ssh/ssh_host_ed25519_key.pub", 100, None),
        ("etc/ssl/private/ssl-cert-snakeoil.key", 1700, Some(Key)),
        ("etc/ssl/certs/ca-certificates.crt", 200_000, None),
        ("app/.env", 100, Some(Env)),
        ("app/.env.production", 100, Some(Env)),
        ("app/prod.env", 100, Some(Env)),
        ("app/.env.example", 100, Some(Text)),
        ("app/config/settings.yaml", 100, Some(Text)),
        ("usr/src/app/server.js", 100, Some(Text)),
        ("etc/environment", 100, Some(Text)),
        ("app/node_modules/x/.env", 100, None),
        ("usr/lib/python3.11/site-packages/x/test.key", 100, None),
        ("usr/local/lib/python3.12/ssl.py", 100, None),
        ("usr/share/doc/x/README.txt", 100, None),
        ("app/tests/fixtures/key.pem", 100, None),
        ("go/pkg/mod/github.com/x/y@v1/testdata/k.pem", 100, None),
        ("app/config.json", 2 << 20, None),
        ("app/config.json", 0, None),
        ("usr/bin/python3.11", 6_000_000, None),
        ("app/logo.png", 100, None),
    ];
    for &(p, size, want) in cases {
        assert_eq!(text_candidate(p, size), want, "{p}");
    }
    // Binary content in a candidate: nothing, and the scan stops at once.
    let mut bin = b"{\"a\": 1}\0\0\0".to_vec();
    bin.extend_from_slice(tokens().github.as_bytes());
    let mut s = start("app/data.json", bin.len() as u64, 0o644).unwrap();
    assert_eq!(s.feed(&bin), layerlens_sniff::Flow::Done);
    assert_eq!(s.finish(), vec![]);
}

#[test]
fn findings_per_file_are_capped() {
    let mut text = String::new();
    for i in 0..40 {
        text.push_str(&format!("k{i}: gh{}_{}\n", "p", rnd(1000 + i, 36, ALNUM)));
    }
    let found = feed_all_ways("app/keys.yaml", 0o644, text.as_bytes());
    assert_eq!(findings(&found).len(), 32);
    assert_eq!(
        notes(&found),
        vec!["8 more secret findings not listed (limit 32 per file)"]
    );
}
