//! Copilot workload manifests: interpolation, the `secrets:`/`variables:`/`env_file` model of
//! every container (main, `sidecars.<name>`, the FireLens `logging` container), per-environment
//! overrides, and rendering into ECS `containerDefinitions[].secrets` entries. Also the ECS task
//! definition JSON, the other input of `coffer run`.
//!
//! Pure: everything takes the text plus a display path used in messages; reading the file is
//! the caller's business.
//!
//! ```text
//! text ──interpolate (Copilot rules)──► typed decode (serde-saphyr, located errors)
//!      ──Manifest::for_environment(env)──► Workload ──render(scope)──► [RenderedContainer]
//! ```
//!
//! Behaviour follows copilot-cli v1.33 (`internal/pkg/manifest`): see `interpolate` for the
//! interpolation rules; the value forms and merge rules are documented on [`SecretForm`] and
//! [`Manifest::for_environment`]. Documented divergences:
//! * Errors carry the position in the file as written (Copilot reports positions in its
//!   re-marshalled, interpolated copy, or none for custom decoders).
//! * `secretsmanager:` given a full ARN renders it verbatim (Copilot would prefix it again).
//! * A plain secret wrapped in quotes (`"'arn:…'"`, the documented trick) renders without the
//!   quotes — exactly what CloudFormation makes of Copilot's unquoted template — and a value
//!   ending in `::` renders verbatim where Copilot's template is not well-formed YAML.
//! * `from_cfn` cannot be resolved without CloudFormation: rendering reports it.

mod interpolate;
mod raw;
mod render;
mod taskdef;

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde_saphyr::{Location, MessageFormatter, Spanned};

pub use interpolate::{APP_NAME_VAR, ENV_NAME_VAR, InterpolationError, Interpolator};
pub use render::{RenderError, RenderProblem, RenderedContainer, render_value_from};
pub use taskdef::{
    ContainerDefinition, EcsKeyValue, EcsSecret, EnvironmentFile, LogConfiguration, TaskDefinition, TaskDefinitionError,
};

use interpolate::{EventErrorKind, Replacement};
use raw::{RawContainer, RawLogging, RawManifest, RawMap, RawOverride, RawRef, RawScalar};

/// Name Copilot gives the FireLens log router container (`logging:` section).
pub const FIRELENS_CONTAINER_NAME: &str = "firelens_log_router";

/// A 1-based position in the manifest file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pos {
    pub line: u64,
    pub column: u64,
}

/// How a `secrets:` entry names its secret (Copilot's `Secret.UnmarshalYAML`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretForm {
    /// A plain string: an SSM parameter name, an SSM parameter ARN or any Secrets Manager ARN
    /// (optionally `:json-key:version-stage:version-id`). Rendered verbatim. A YAML null
    /// decodes to an empty string, as in Copilot (rendering then reports it).
    Plain(String),
    /// `{secretsmanager: name[:json-key:version-stage:version-id]}`: a secret name in the
    /// environment's account and region, rendered as a partial ARN.
    SecretsManager(String),
    /// `{from_cfn: export-name}`: a CloudFormation export; Coffer cannot resolve it.
    FromCfn(String),
}

/// A `secrets:` entry and where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Secret {
    pub form: SecretForm,
    pub pos: Option<Pos>,
}

/// How a `variables:` entry gives its value (Copilot's `Variable`/`StringOrFromCFN`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VariableForm {
    /// The value. Numbers and booleans keep their source text (`1.0`, `0x10`, `yes`), as
    /// yaml.v3 does when decoding into a string; a YAML null is "".
    Plain(String),
    FromCfn(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variable {
    pub form: VariableForm,
    pub pos: Option<Pos>,
}

/// The environment of one container: `variables`, `secrets`, `env_file`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerEnv {
    pub variables: BTreeMap<String, Variable>,
    pub secrets: BTreeMap<String, Secret>,
    /// Path of the env file as written (Copilot resolves it from the workspace root).
    pub env_file: Option<String>,
}

impl ContainerEnv {
    /// Copilot's override merge for one container: per key, the override's entry replaces the
    /// base entry whole (a `secretsmanager` form replaces a plain one and vice versa); keys only
    /// in the base are kept (an override cannot delete them); `env_file` is replaced if set.
    pub fn merge_from(&mut self, over: &ContainerEnv) {
        for (k, v) in &over.variables {
            self.variables.insert(k.clone(), v.clone());
        }
        for (k, v) in &over.secrets {
            self.secrets.insert(k.clone(), v.clone());
        }
        if over.env_file.is_some() {
            self.env_file.clone_from(&over.env_file);
        }
    }
}

/// `logging:`: the FireLens container's own environment, and `secretOptions`, which ECS
/// resolves into the main container's log driver configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Logging {
    pub container: ContainerEnv,
    pub secret_options: BTreeMap<String, Secret>,
}

impl Logging {
    fn merge_from(&mut self, over: &Logging) {
        self.container.merge_from(&over.container);
        for (k, v) in &over.secret_options {
            self.secret_options.insert(k.clone(), v.clone());
        }
    }
}

/// `environments.<env>:` as far as Coffer reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvironmentOverride {
    pub main: ContainerEnv,
    pub sidecars: BTreeMap<String, ContainerEnv>,
    pub logging: Option<Logging>,
}

/// Copilot's workload types (`type:`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkloadType {
    LoadBalancedWebService,
    BackendService,
    WorkerService,
    ScheduledJob,
    /// App Runner: secrets render into `RuntimeEnvironmentSecrets`, same `Name`/`Value` pairs.
    RequestDrivenWebService,
    /// No containers, no secrets.
    StaticSite,
    Other(String),
}

impl WorkloadType {
    pub fn parse(s: &str) -> Self {
        match s {
            "Load Balanced Web Service" => Self::LoadBalancedWebService,
            "Backend Service" => Self::BackendService,
            "Worker Service" => Self::WorkerService,
            "Scheduled Job" => Self::ScheduledJob,
            "Request-Driven Web Service" => Self::RequestDrivenWebService,
            "Static Site" => Self::StaticSite,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// A parsed, interpolated manifest with all its environment overrides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// The display path given to [`Manifest::parse`], used in messages.
    pub path: String,
    pub name: Option<String>,
    /// `type:` as written.
    pub workload_type: Option<String>,
    pub main: ContainerEnv,
    pub sidecars: BTreeMap<String, ContainerEnv>,
    pub logging: Option<Logging>,
    pub environments: BTreeMap<String, EnvironmentOverride>,
}

/// A manifest with one environment's overrides applied: what Copilot deploys to that env.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    pub path: String,
    pub name: Option<String>,
    pub workload_type: Option<String>,
    pub main: ContainerEnv,
    pub sidecars: BTreeMap<String, ContainerEnv>,
    pub logging: Option<Logging>,
}

/// What went wrong reading a manifest, located in the file where possible.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestError {
    pub path: String,
    pub pos: Option<Pos>,
    pub kind: ManifestErrorKind,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ManifestErrorKind {
    /// Not well-formed YAML.
    Syntax,
    /// `${VAR}` could not be substituted.
    Interpolation(InterpolationError),
    /// Well-formed YAML of the wrong shape (wrong type, duplicate key, bad secret form, …).
    Invalid,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Some(p) => write!(f, "{}:{}:{}: {}", self.path, p.line, p.column, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

impl std::error::Error for ManifestError {}

/// Copilot's error for a `secrets:` value of the wrong shape.
pub const SECRET_SHAPE_ERROR: &str = r#"cannot marshal "secret" field to a string or "secretsmanager" object"#;
/// Copilot's error for a `variables:` value of the wrong shape.
pub const VARIABLE_SHAPE_ERROR: &str = r#"unmarshal "variables": cannot unmarshal field to a string or into a map"#;

/// Reads a manifest and applies `env`'s overrides in one step; the interpolator carries the
/// app and env names.
pub fn load_workload(text: &str, display_path: &str, itp: &Interpolator<'_>) -> Result<Workload, ManifestError> {
    Ok(Manifest::parse(text, display_path, itp)?.for_environment(itp.env()))
}

impl Manifest {
    /// Interpolates `text` the way Copilot does, then decodes it. `display_path` names the file
    /// in error messages.
    pub fn parse(text: &str, display_path: &str, itp: &Interpolator<'_>) -> Result<Self, ManifestError> {
        let replacements = interpolate::interpolate_document(text, itp).map_err(|e| {
            let (kind, message) = match e.kind {
                EventErrorKind::Syntax(m) => (ManifestErrorKind::Syntax, m),
                EventErrorKind::Interpolation(i) => {
                    let m = i.to_string();
                    (ManifestErrorKind::Interpolation(i), m)
                }
            };
            ManifestError {
                path: display_path.to_owned(),
                pos: Some(Pos { line: e.line, column: e.column }),
                kind,
                message,
            }
        })?;
        let raw: RawManifest = if text.trim().is_empty() {
            RawManifest::default()
        } else {
            serde_saphyr::from_str(text).map_err(|e| decode_error(display_path, &e))?
        };
        let cx = Cx { text, path: display_path, repl: &replacements };
        cx.manifest(raw)
    }

    /// The workload as deployed to `env`: `environments.<env>` merged over the base, key by key
    /// (Copilot's `mergo.WithOverride` + transformers). An unknown env leaves the base as is.
    pub fn for_environment(&self, env: &str) -> Workload {
        let mut w = Workload {
            path: self.path.clone(),
            name: self.name.clone(),
            workload_type: self.workload_type.clone(),
            main: self.main.clone(),
            sidecars: self.sidecars.clone(),
            logging: self.logging.clone(),
        };
        if let Some(over) = self.environments.get(env) {
            w.main.merge_from(&over.main);
            for (name, sc) in &over.sidecars {
                w.sidecars.entry(name.clone()).or_default().merge_from(sc);
            }
            if let Some(l) = &over.logging {
                w.logging.get_or_insert_with(Logging::default).merge_from(l);
            }
        }
        w
    }
}

impl Workload {
    pub fn kind(&self) -> Option<WorkloadType> {
        self.workload_type.as_deref().map(WorkloadType::parse)
    }

    /// Every container with its environment: the main one (named after the workload), the
    /// sidecars by name, then the FireLens container if `logging` is set.
    pub fn containers(&self) -> Vec<(&str, &ContainerEnv)> {
        let mut out = Vec::new();
        if self.kind() == Some(WorkloadType::StaticSite) {
            return out;
        }
        out.push((self.name.as_deref().unwrap_or(""), &self.main));
        for (n, c) in &self.sidecars {
            out.push((n.as_str(), c));
        }
        if let Some(l) = &self.logging {
            out.push((FIRELENS_CONTAINER_NAME, &l.container));
        }
        out
    }

    /// The container to run: the main one by default, else the one named.
    pub fn container(&self, name: Option<&str>) -> Result<(&str, &ContainerEnv), String> {
        let all = self.containers();
        let Some(name) = name else {
            return all.into_iter().next().ok_or_else(|| format!("{}: a Static Site has no containers", self.path));
        };
        let names: Vec<&str> = all.iter().map(|(n, _)| *n).collect();
        all.iter().find(|(n, _)| *n == name).copied().ok_or_else(|| {
            format!("{}: no container named \"{name}\"; the containers are: {}", self.path, names.join(", "))
        })
    }
}

fn decode_error(path: &str, e: &serde_saphyr::Error) -> ManifestError {
    let message: String = serde_saphyr::UserMessageFormatter
        .format_message(e)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let message = match message.as_str() {
        "expected mapping start" => "expected a mapping (key: value pairs) here".to_owned(),
        "expected sequence start" => "expected a sequence here".to_owned(),
        _ => message,
    };
    let pos = e.location().filter(|l| *l != Location::UNKNOWN).map(|l| Pos { line: l.line(), column: l.column() });
    // Syntax errors are caught by the interpolation pass first; what reaches here is a shape
    // error (wrong type, duplicate key, alias budget, …).
    ManifestError { path: path.to_owned(), pos, kind: ManifestErrorKind::Invalid, message }
}

/// A scalar after interpolation.
enum Value {
    Text(String),
    Null,
    Collection(&'static str),
}

struct Cx<'a> {
    text: &'a str,
    path: &'a str,
    repl: &'a HashMap<usize, Replacement>,
}

fn pos_of(l: &Location) -> Option<Pos> {
    (*l != Location::UNKNOWN).then(|| Pos { line: l.line(), column: l.column() })
}

impl Cx<'_> {
    fn err(&self, at: &Location, message: impl Into<String>) -> ManifestError {
        ManifestError {
            path: self.path.to_owned(),
            pos: pos_of(at),
            kind: ManifestErrorKind::Invalid,
            message: message.into(),
        }
    }

    fn value(&self, s: &Spanned<RawScalar>) -> Value {
        let offset = s.defined.span().byte_offset().map(|o| o as usize);
        match &s.value {
            RawScalar::Str(v) => match offset.and_then(|o| self.repl.get(&o)) {
                Some(Replacement::Str(r)) => Value::Text(r.clone()),
                Some(Replacement::Seq(_)) => Value::Collection("!!seq"),
                None => Value::Text(v.clone()),
            },
            RawScalar::NonStr { fallback } => {
                let span = s.defined.span();
                let source = span
                    .byte_offset()
                    .zip(span.byte_len())
                    .and_then(|(o, l)| self.text.get(o as usize..(o + l) as usize));
                Value::Text(source.map_or_else(|| fallback.clone(), str::to_owned))
            }
            RawScalar::Null => Value::Null,
            RawScalar::Collection { kind } => Value::Collection(kind),
        }
    }

    /// A field decoded into a Go `*string`.
    fn string(&self, s: &Option<Spanned<RawScalar>>) -> Result<Option<String>, ManifestError> {
        let Some(s) = s else { return Ok(None) };
        match self.value(s) {
            Value::Text(t) => Ok(Some(t)),
            Value::Null => Ok(None),
            Value::Collection(kind) => Err(self.err(&s.referenced, format!("cannot unmarshal {kind} into string"))),
        }
    }

    /// A `secrets:` value; `None` for a YAML null.
    fn secret(&self, r: &Spanned<RawRef>) -> Result<Option<Secret>, ManifestError> {
        let pos = pos_of(&r.referenced);
        let form = match &r.value {
            RawRef::Scalar(s) => match self.value(&Spanned::new(s.clone(), r.referenced, r.defined)) {
                Value::Text(t) => SecretForm::Plain(t),
                Value::Null => return Ok(None),
                Value::Collection(_) => return Err(self.err(&r.referenced, SECRET_SHAPE_ERROR)),
            },
            RawRef::Map { secretsmanager, from_cfn } => {
                let sm = secretsmanager.as_ref().map(|s| self.value(s));
                let cfn = from_cfn.as_ref().map(|s| self.value(s));
                match (sm, cfn) {
                    (Some(Value::Text(t)), _) => SecretForm::SecretsManager(t),
                    (_, Some(Value::Text(t))) => SecretForm::FromCfn(t),
                    _ => return Err(self.err(&r.referenced, SECRET_SHAPE_ERROR)),
                }
            }
            RawRef::Seq => return Err(self.err(&r.referenced, SECRET_SHAPE_ERROR)),
        };
        Ok(Some(Secret { form, pos }))
    }

    /// A `variables:` value; `None` for a YAML null.
    fn variable(&self, r: &Spanned<RawRef>) -> Result<Option<Variable>, ManifestError> {
        let pos = pos_of(&r.referenced);
        let form = match &r.value {
            RawRef::Scalar(s) => match self.value(&Spanned::new(s.clone(), r.referenced, r.defined)) {
                Value::Text(t) => VariableForm::Plain(t),
                Value::Null => return Ok(None),
                Value::Collection(_) => return Err(self.err(&r.referenced, VARIABLE_SHAPE_ERROR)),
            },
            RawRef::Map { from_cfn: Some(c), .. } => match self.value(c) {
                Value::Text(t) => VariableForm::FromCfn(t),
                _ => return Err(self.err(&r.referenced, VARIABLE_SHAPE_ERROR)),
            },
            RawRef::Map { .. } | RawRef::Seq => return Err(self.err(&r.referenced, VARIABLE_SHAPE_ERROR)),
        };
        Ok(Some(Variable { form, pos }))
    }

    /// `base` decides what a null means: in the base manifest Copilot keeps a zero value (an
    /// empty string); in an override mergo skips zero values, so the base entry stays.
    fn secrets(&self, m: &Option<RawMap>, base: bool) -> Result<BTreeMap<String, Secret>, ManifestError> {
        let mut out = BTreeMap::new();
        for (k, v) in m.iter().flatten() {
            match self.secret(v)? {
                Some(s) => {
                    out.insert(k.clone(), s);
                }
                None if base => {
                    out.insert(
                        k.clone(),
                        Secret { form: SecretForm::Plain(String::new()), pos: pos_of(&v.referenced) },
                    );
                }
                None => {}
            }
        }
        Ok(out)
    }

    fn variables(&self, m: &Option<RawMap>, base: bool) -> Result<BTreeMap<String, Variable>, ManifestError> {
        let mut out = BTreeMap::new();
        for (k, v) in m.iter().flatten() {
            match self.variable(v)? {
                Some(s) => {
                    out.insert(k.clone(), s);
                }
                None if base => {
                    out.insert(
                        k.clone(),
                        Variable { form: VariableForm::Plain(String::new()), pos: pos_of(&v.referenced) },
                    );
                }
                None => {}
            }
        }
        Ok(out)
    }

    fn container(
        &self,
        variables: &Option<RawMap>,
        secrets: &Option<RawMap>,
        env_file: &Option<Spanned<RawScalar>>,
        base: bool,
    ) -> Result<ContainerEnv, ManifestError> {
        Ok(ContainerEnv {
            variables: self.variables(variables, base)?,
            secrets: self.secrets(secrets, base)?,
            env_file: self.string(env_file)?,
        })
    }

    fn sidecars(
        &self,
        m: &Option<BTreeMap<String, Option<RawContainer>>>,
        base: bool,
    ) -> Result<BTreeMap<String, ContainerEnv>, ManifestError> {
        let mut out = BTreeMap::new();
        for (name, sc) in m.iter().flatten() {
            let c = match sc {
                Some(sc) => self.container(&sc.variables, &sc.secrets, &sc.env_file, base)?,
                None => ContainerEnv::default(),
            };
            out.insert(name.clone(), c);
        }
        Ok(out)
    }

    fn logging(&self, l: &Option<RawLogging>, base: bool) -> Result<Option<Logging>, ManifestError> {
        let Some(l) = l else { return Ok(None) };
        Ok(Some(Logging {
            container: self.container(&l.variables, &l.secrets, &l.env_file, base)?,
            secret_options: self.secrets(&l.secret_options, base)?,
        }))
    }

    fn environment(&self, o: &RawOverride) -> Result<EnvironmentOverride, ManifestError> {
        Ok(EnvironmentOverride {
            main: self.container(&o.variables, &o.secrets, &o.env_file, false)?,
            sidecars: self.sidecars(&o.sidecars, false)?,
            logging: self.logging(&o.logging, false)?,
        })
    }

    fn manifest(&self, raw: RawManifest) -> Result<Manifest, ManifestError> {
        let mut environments = BTreeMap::new();
        for (env, o) in raw.environments.iter().flatten() {
            let o = match o {
                Some(o) => self.environment(o)?,
                None => EnvironmentOverride::default(),
            };
            environments.insert(env.clone(), o);
        }
        Ok(Manifest {
            path: self.path.to_owned(),
            name: self.string(&raw.name)?,
            workload_type: self.string(&raw.kind)?,
            main: self.container(&raw.variables, &raw.secrets, &raw.env_file, true)?,
            sidecars: self.sidecars(&raw.sidecars, true)?,
            logging: self.logging(&raw.logging, true)?,
            environments,
        })
    }
}

#[cfg(test)]
mod tests;
