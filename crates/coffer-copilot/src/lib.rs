//! Copilot's side of Coffer, without I/O: the manifest (`copilot/<svc>/manifest.yml`, decoded
//! with Copilot's interpolation and environment overrides, rendered back, or read from an ECS
//! task definition) and the ECS agent's rules for turning a container's `secrets` into
//! environment variables, with the agent's own error texts.

pub mod ecs;
pub mod manifest;
