//! Rendering a workload into what ECS receives: per container, `environment` and `secrets`
//! entries sorted by name (Go templates range over maps in key order), the way Copilot's
//! `secrets.yml`/`variables.yml` partials render them.

use std::fmt;

use coffer_aws::arn::is_arn;
use coffer_aws::scope::Scope;

use super::taskdef::{EcsKeyValue, EcsSecret};
use super::{ContainerEnv, FIRELENS_CONTAINER_NAME, Pos, Secret, SecretForm, Variable, VariableForm, Workload};

/// One container as Copilot would put it in the task definition.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RenderedContainer {
    pub name: String,
    /// `variables:`, sorted by name.
    pub environment: Vec<EcsKeyValue>,
    /// `secrets:`, sorted by name.
    pub secrets: Vec<EcsSecret>,
    /// `env_file:` as written (Copilot uploads it to S3 and lists it in `environmentFiles`).
    pub env_file: Option<String>,
    /// `logging.secretOptions` (main container only): resolved by ECS into the log driver's
    /// options, not the environment.
    pub log_secret_options: Vec<EcsSecret>,
}

/// Every entry that cannot be rendered, one message per line, each located in the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderError {
    pub problems: Vec<String>,
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.problems.join("\n"))
    }
}

impl std::error::Error for RenderError {}

/// Why one `secrets:` entry cannot be rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RenderProblem {
    FromCfn,
    Empty,
}

fn located(path: &str, pos: Option<Pos>, msg: String) -> String {
    match pos {
        Some(p) => format!("{path}:{}:{}: {msg}", p.line, p.column),
        None => format!("{path}: {msg}"),
    }
}

/// The `valueFrom` Copilot renders for one secret in `scope` (the environment's account and
/// region):
/// * plain string → verbatim, except that one matching pair of surrounding YAML quotes is
///   removed (Copilot writes the value unquoted into its CloudFormation template, so
///   CloudFormation's YAML parser strips them: the documented `"'arn:…'"` trick);
/// * `secretsmanager: N` → `arn:<partition>:secretsmanager:<region>:<account>:secret:N` (a
///   partial ARN; a `:json-key:stage:id` suffix passes through), or `N` itself if it is already
///   an ARN;
/// * `from_cfn` → [`RenderProblem::FromCfn`].
pub fn render_value_from(form: &SecretForm, scope: &Scope) -> Result<String, RenderProblem> {
    match form {
        SecretForm::Plain(s) => {
            let v = unquote_template_scalar(s);
            if v.is_empty() { Err(RenderProblem::Empty) } else { Ok(v) }
        }
        SecretForm::SecretsManager(n) if n.is_empty() => Err(RenderProblem::Empty),
        SecretForm::SecretsManager(n) if is_arn(n) => Ok(n.clone()),
        SecretForm::SecretsManager(n) => Ok(scope.arn("secretsmanager", &format!("secret:{n}"))),
        SecretForm::FromCfn(_) => Err(RenderProblem::FromCfn),
    }
}

/// What CloudFormation reads from `ValueFrom:  <s>`: surrounding spaces dropped and, when the
/// whole value is one single- or double-quoted YAML scalar, its unquoted content.
fn unquote_template_scalar(s: &str) -> String {
    let t = s.trim_matches(' ');
    let quoted =
        t.len() >= 2 && ((t.starts_with('\'') && t.ends_with('\'')) || (t.starts_with('"') && t.ends_with('"')));
    if quoted && let Ok(v) = serde_saphyr::from_str::<String>(t) {
        return v;
    }
    t.to_owned()
}

fn render_secrets(
    path: &str,
    what: &str,
    secrets: &std::collections::BTreeMap<String, Secret>,
    scope: &Scope,
    problems: &mut Vec<String>,
) -> Vec<EcsSecret> {
    let mut out = Vec::with_capacity(secrets.len());
    for (name, s) in secrets {
        match render_value_from(&s.form, scope) {
            Ok(value_from) => out.push(EcsSecret { name: name.clone(), value_from }),
            Err(RenderProblem::FromCfn) => problems.push(located(
                path,
                s.pos,
                format!("{what} {name} uses from_cfn: Coffer has no CloudFormation exports; refer to the secret by name or ARN"),
            )),
            Err(RenderProblem::Empty) => problems.push(located(path, s.pos, format!("{what} {name} has an empty value"))),
        }
    }
    out
}

fn render_variables(
    path: &str,
    vars: &std::collections::BTreeMap<String, Variable>,
    problems: &mut Vec<String>,
) -> Vec<EcsKeyValue> {
    let mut out = Vec::with_capacity(vars.len());
    for (name, v) in vars {
        match &v.form {
            VariableForm::Plain(value) => out.push(EcsKeyValue { name: name.clone(), value: value.clone() }),
            VariableForm::FromCfn(_) => problems.push(located(
                path,
                v.pos,
                format!("variable {name} uses from_cfn: Coffer has no CloudFormation exports; give the value itself"),
            )),
        }
    }
    out
}

/// Renders one container's environment.
pub(crate) fn render_container(
    path: &str,
    name: &str,
    env: &ContainerEnv,
    scope: &Scope,
    problems: &mut Vec<String>,
) -> RenderedContainer {
    RenderedContainer {
        name: name.to_owned(),
        environment: render_variables(path, &env.variables, problems),
        secrets: render_secrets(path, "secret", &env.secrets, scope, problems),
        env_file: env.env_file.clone(),
        log_secret_options: Vec::new(),
    }
}

impl Workload {
    /// Renders every container (see [`Workload::containers`]) for `scope`, the environment's
    /// account and region. All problems are reported together.
    pub fn render(&self, scope: &Scope) -> Result<Vec<RenderedContainer>, RenderError> {
        let mut problems = Vec::new();
        let mut out = Vec::new();
        for (i, (name, env)) in self.containers().into_iter().enumerate() {
            let mut c = render_container(&self.path, name, env, scope, &mut problems);
            if i == 0
                && name != FIRELENS_CONTAINER_NAME
                && let Some(l) = &self.logging
            {
                c.log_secret_options =
                    render_secrets(&self.path, "secret option", &l.secret_options, scope, &mut problems);
            }
            out.push(c);
        }
        if problems.is_empty() { Ok(out) } else { Err(RenderError { problems }) }
    }

    /// Renders one container: the main one by default.
    pub fn render_container(&self, name: Option<&str>, scope: &Scope) -> Result<RenderedContainer, RenderError> {
        let (name, _) = self.container(name).map_err(|e| RenderError { problems: vec![e] })?;
        let name = name.to_owned();
        let all = self.render(scope)?;
        Ok(all.into_iter().find(|c| c.name == name).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope::new("111122223333", "us-west-2")
    }

    #[test]
    fn value_from_table() {
        let cases: &[(SecretForm, Result<&str, RenderProblem>)] = &[
            (SecretForm::Plain("GH_WEBHOOK_SECRET".into()), Ok("GH_WEBHOOK_SECRET")),
            (SecretForm::Plain("/copilot/demo/test/secrets/db".into()), Ok("/copilot/demo/test/secrets/db")),
            (
                SecretForm::Plain("arn:aws:ssm:us-east-1:111122223333:parameter/p".into()),
                Ok("arn:aws:ssm:us-east-1:111122223333:parameter/p"),
            ),
            // The seed's Option 3: YAML gives the value with its inner single quotes.
            (
                SecretForm::Plain(
                    "'arn:aws:secretsmanager:us-west-2:111122223333:secret:demo/test/mysql-Yi6mvL'".into(),
                ),
                Ok("arn:aws:secretsmanager:us-west-2:111122223333:secret:demo/test/mysql-Yi6mvL"),
            ),
            (
                SecretForm::Plain(
                    "'arn:aws:secretsmanager:us-west-2:111122223333:secret:mysql-Yi6mvL:password::'".into(),
                ),
                Ok("arn:aws:secretsmanager:us-west-2:111122223333:secret:mysql-Yi6mvL:password::"),
            ),
            // Unquoted trailing `::` breaks Copilot's template; Coffer keeps it verbatim.
            (
                SecretForm::Plain(
                    "arn:aws:secretsmanager:us-west-2:111122223333:secret:mysql-Yi6mvL:password::".into(),
                ),
                Ok("arn:aws:secretsmanager:us-west-2:111122223333:secret:mysql-Yi6mvL:password::"),
            ),
            (SecretForm::Plain("\"quoted\"".into()), Ok("quoted")),
            (SecretForm::Plain("'it''s'".into()), Ok("it's")),
            (SecretForm::Plain("'a' 'b'".into()), Ok("'a' 'b'")),
            (SecretForm::Plain("''".into()), Err(RenderProblem::Empty)),
            (SecretForm::Plain(String::new()), Err(RenderProblem::Empty)),
            (
                SecretForm::SecretsManager("mysql".into()),
                Ok("arn:aws:secretsmanager:us-west-2:111122223333:secret:mysql"),
            ),
            (
                SecretForm::SecretsManager("mysql:password::".into()),
                Ok("arn:aws:secretsmanager:us-west-2:111122223333:secret:mysql:password::"),
            ),
            (
                SecretForm::SecretsManager("demo/test/mysql-dbconf-Vi3nwL".into()),
                Ok("arn:aws:secretsmanager:us-west-2:111122223333:secret:demo/test/mysql-dbconf-Vi3nwL"),
            ),
            (
                SecretForm::SecretsManager("arn:aws:secretsmanager:eu-west-1:1:secret:x".into()),
                Ok("arn:aws:secretsmanager:eu-west-1:1:secret:x"),
            ),
            (SecretForm::SecretsManager(String::new()), Err(RenderProblem::Empty)),
            (SecretForm::FromCfn("stack-SSMGHUserName".into()), Err(RenderProblem::FromCfn)),
        ];
        for (form, want) in cases {
            assert_eq!(render_value_from(form, &scope()).as_deref().map_err(Clone::clone), *want, "{form:?}");
        }
    }

    #[test]
    fn partition_follows_region() {
        let s = Scope::new("1", "cn-north-1");
        assert_eq!(
            render_value_from(&SecretForm::SecretsManager("x".into()), &s).unwrap(),
            "arn:aws-cn:secretsmanager:cn-north-1:1:secret:x"
        );
    }
}
