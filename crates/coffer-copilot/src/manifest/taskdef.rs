//! ECS task definitions (the JSON of `RegisterTaskDefinition`, or the output of
//! `aws ecs describe-task-definition`, whose `taskDefinition` member is unwrapped), read as far
//! as secrets go: `containerDefinitions[].{name, essential, secrets, environment,
//! environmentFiles, logConfiguration.secretOptions}`. Other members are ignored.

use std::fmt;

use serde::{Deserialize, Serialize};

/// `{name, valueFrom}`: one `secrets` (or `secretOptions`) entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcsSecret {
    pub name: String,
    #[serde(rename = "valueFrom")]
    pub value_from: String,
}

/// `{name, value}`: one `environment` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcsKeyValue {
    pub name: String,
    #[serde(default)]
    pub value: String,
}

/// `{value, type}`: one `environmentFiles` entry (`value` is an S3 object ARN).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentFile {
    pub value: String,
    #[serde(rename = "type", default)]
    pub kind: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogConfiguration {
    #[serde(rename = "logDriver", default, skip_serializing_if = "Option::is_none")]
    pub log_driver: Option<String>,
    #[serde(rename = "secretOptions", default)]
    pub secret_options: Vec<EcsSecret>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerDefinition {
    pub name: String,
    /// ECS treats an absent `essential` as `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub essential: Option<bool>,
    #[serde(default)]
    pub secrets: Vec<EcsSecret>,
    #[serde(default)]
    pub environment: Vec<EcsKeyValue>,
    #[serde(rename = "environmentFiles", default)]
    pub environment_files: Vec<EnvironmentFile>,
    #[serde(rename = "logConfiguration", default, skip_serializing_if = "Option::is_none")]
    pub log_configuration: Option<LogConfiguration>,
}

impl ContainerDefinition {
    pub fn is_essential(&self) -> bool {
        self.essential.unwrap_or(true)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskDefinition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    #[serde(rename = "containerDefinitions")]
    pub container_definitions: Vec<ContainerDefinition>,
}

/// Either a task definition or `describe-task-definition` output.
#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "taskDefinition")]
    task_definition: Option<TaskDefinition>,
    family: Option<String>,
    #[serde(rename = "containerDefinitions")]
    container_definitions: Option<Vec<ContainerDefinition>>,
}

/// A task definition that could not be read, or a container that could not be chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskDefinitionError {
    pub path: String,
    /// 1-based line and column of a JSON error.
    pub pos: Option<(usize, usize)>,
    pub message: String,
}

impl fmt::Display for TaskDefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Some((l, c)) => write!(f, "{}:{l}:{c}: {}", self.path, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

impl std::error::Error for TaskDefinitionError {}

impl TaskDefinition {
    /// Parses task definition JSON; `display_path` names the file in messages.
    pub fn parse(text: &str, display_path: &str) -> Result<Self, TaskDefinitionError> {
        let env: Envelope = serde_json::from_str(text).map_err(|e| {
            let full = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
            TaskDefinitionError { path: display_path.to_owned(), pos: Some((e.line(), e.column())), message }
        })?;
        let err =
            |message: &str| TaskDefinitionError { path: display_path.to_owned(), pos: None, message: message.into() };
        match (env.task_definition, env.container_definitions) {
            (Some(td), _) => Ok(td),
            (None, Some(container_definitions)) => Ok(Self { family: env.family, container_definitions }),
            (None, None) => Err(err("not a task definition: no containerDefinitions (nor taskDefinition) member")),
        }
    }

    /// The container to run: the one named; else the only container; else the only essential
    /// one. Several candidates is an error naming them.
    pub fn container(
        &self,
        name: Option<&str>,
        display_path: &str,
    ) -> Result<&ContainerDefinition, TaskDefinitionError> {
        let err = |message: String| TaskDefinitionError { path: display_path.to_owned(), pos: None, message };
        let names = || self.container_definitions.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ");
        if let Some(name) = name {
            return self.container_definitions.iter().find(|c| c.name == name).ok_or_else(|| {
                err(format!("the task definition has no container named \"{name}\"; its containers are: {}", names()))
            });
        }
        match self.container_definitions.as_slice() {
            [] => Err(err("the task definition has no containers".into())),
            [only] => Ok(only),
            all => {
                let essential: Vec<&ContainerDefinition> = all.iter().filter(|c| c.is_essential()).collect();
                match essential.as_slice() {
                    [one] => Ok(one),
                    [] => Err(err(format!(
                        "the task definition has {} containers and none is essential; choose one by name: {}",
                        all.len(),
                        names()
                    ))),
                    many => Err(err(format!(
                        "the task definition has {} essential containers; choose one by name: {}",
                        many.len(),
                        many.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
                    ))),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TD: &str = r#"{
      "family": "demo-test-api",
      "containerDefinitions": [
        {
          "name": "api",
          "essential": true,
          "environment": [{"name": "PORT", "value": "8080"}],
          "secrets": [
            {"name": "DB", "valueFrom": "arn:aws:secretsmanager:us-west-2:111122223333:secret:mysql:password::"},
            {"name": "GITHUB_WEBHOOK_SECRET", "valueFrom": "GH_WEBHOOK_SECRET"}
          ],
          "environmentFiles": [{"value": "arn:aws:s3:::bucket/api.env", "type": "s3"}],
          "logConfiguration": {"logDriver": "awsfirelens", "secretOptions": [{"name": "apikey", "valueFrom": "LOG_KEY"}]},
          "image": "ignored", "portMappings": [{"containerPort": 8080}]
        },
        {"name": "nginx", "essential": false, "secrets": [{"name": "TLS", "valueFrom": "/tls"}]}
      ],
      "cpu": "256"
    }"#;

    #[test]
    fn parses_containers_and_picks_the_essential_one() {
        let td = TaskDefinition::parse(TD, "td.json").unwrap();
        assert_eq!(td.family.as_deref(), Some("demo-test-api"));
        let api = td.container(None, "td.json").unwrap();
        assert_eq!(api.name, "api");
        assert_eq!(api.secrets.len(), 2);
        assert_eq!(
            api.secrets[1],
            EcsSecret { name: "GITHUB_WEBHOOK_SECRET".into(), value_from: "GH_WEBHOOK_SECRET".into() }
        );
        assert_eq!(api.environment[0], EcsKeyValue { name: "PORT".into(), value: "8080".into() });
        assert_eq!(api.environment_files[0].value, "arn:aws:s3:::bucket/api.env");
        assert_eq!(api.log_configuration.as_ref().unwrap().secret_options[0].value_from, "LOG_KEY");
        assert_eq!(td.container(Some("nginx"), "td.json").unwrap().secrets[0].value_from, "/tls");
        let e = td.container(Some("worker"), "td.json").unwrap_err();
        assert_eq!(
            e.to_string(),
            "td.json: the task definition has no container named \"worker\"; its containers are: api, nginx"
        );
    }

    #[test]
    fn describe_output_is_unwrapped() {
        let wrapped = format!(r#"{{"taskDefinition": {TD}, "tags": []}}"#);
        let td = TaskDefinition::parse(&wrapped, "d.json").unwrap();
        assert_eq!(td.container_definitions.len(), 2);
    }

    #[test]
    fn ambiguous_containers_are_an_error() {
        let td = TaskDefinition::parse(
            r#"{"containerDefinitions": [{"name": "a"}, {"name": "b", "essential": true}, {"name": "c", "essential": false}]}"#,
            "t.json",
        )
        .unwrap();
        assert_eq!(
            td.container(None, "t.json").unwrap_err().to_string(),
            "t.json: the task definition has 2 essential containers; choose one by name: a, b"
        );
        let none = TaskDefinition::parse(r#"{"containerDefinitions": []}"#, "t.json").unwrap();
        assert_eq!(none.container(None, "t.json").unwrap_err().message, "the task definition has no containers");
    }

    #[test]
    fn json_errors_are_located() {
        let e = TaskDefinition::parse("{\n  \"containerDefinitions\": [\n    {\"secrets\": []}\n  ]\n}", "bad.json")
            .unwrap_err();
        assert_eq!(e.to_string(), "bad.json:3:19: missing field `name`");
        let e = TaskDefinition::parse("{\"containerDefinitions\": [,]}", "bad.json").unwrap_err();
        assert_eq!(e.pos, Some((1, 27)));
        let e = TaskDefinition::parse("{}", "x.json").unwrap_err();
        assert!(e.message.starts_with("not a task definition"));
    }
}
