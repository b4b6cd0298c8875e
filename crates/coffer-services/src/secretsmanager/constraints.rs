//! Secrets Manager's input shapes and their members' constraints, as the service model states
//! them. So far the replication members; the other members are still checked by `validate`.

use super::model::{
    CreateSecretInput, RemoveRegionsFromReplicationInput, ReplicaRegion, ReplicateSecretToRegionsInput,
};
use crate::constraints::{At, Constrained, Pattern, Str, Violations};

/// `SecretIdType`.
const SECRET_ID: Str = Str::len(1, 2048);
/// `RegionType`.
const REGION: Str = Str::len(1, 128).pattern(Pattern { text: r"^([a-z]+-)+\d+$", test: is_region });

/// `^([a-z]+-)+\d+$`: lowercase words, each followed by `-`, then digits.
fn is_region(s: &str) -> bool {
    let mut parts: Vec<&str> = s.split('-').collect();
    let Some(number) = parts.pop() else { return false };
    !parts.is_empty()
        && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
}

impl Constrained for ReplicaRegion {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.string(at.member("region"), self.region.as_deref(), REGION);
        v.string(at.member("kmsKeyId"), self.kms_key_id.as_deref(), Str::len(0, 2048));
    }
}

impl Constrained for CreateSecretInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.list(at.member("addReplicaRegions"), self.add_replica_regions.as_deref(), 1, usize::MAX);
    }
}

impl Constrained for ReplicateSecretToRegionsInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.required(at.member("secretId"), self.secret_id.as_ref());
        v.string(at.member("secretId"), self.secret_id.as_deref(), SECRET_ID);
        v.required(at.member("addReplicaRegions"), self.add_replica_regions.as_ref());
        v.list(at.member("addReplicaRegions"), self.add_replica_regions.as_deref(), 1, usize::MAX);
    }
}

impl Constrained for RemoveRegionsFromReplicationInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.required(at.member("secretId"), self.secret_id.as_ref());
        v.string(at.member("secretId"), self.secret_id.as_deref(), SECRET_ID);
        v.required(at.member("removeReplicaRegions"), self.remove_replica_regions.as_ref());
        v.strings(at.member("removeReplicaRegions"), self.remove_replica_regions.as_deref(), 1, usize::MAX, REGION);
    }
}

#[cfg(test)]
mod tests {
    use super::is_region;

    #[test]
    fn regions_as_the_model_pattern_reads_them() {
        for ok in ["us-east-1", "eu-west-3", "ap-southeast-2", "us-gov-west-1", "a-0"] {
            assert!(is_region(ok), "{ok}");
        }
        for bad in ["us-east", "US-east-1", "-1", "us--1", "useast1", "us-east-1a", "", "us-east-1-"] {
            assert!(!is_region(bad), "{bad}");
        }
    }
}
