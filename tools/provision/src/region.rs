//! Where the project goes: a region code, a smart group, or the recommendation.

use crate::Failure;

/// The region codes of the Management API's `region_selection` (Supabase API v1). The
/// API says codes are not a stable API: `GET /v1/projects/available-regions` is the
/// source of truth, and the default asks it.
pub const REGIONS: [&str; 18] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ap-east-1",
    "ap-southeast-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-north-1",
    "eu-central-1",
    "eu-central-2",
    "ca-central-1",
    "ap-south-1",
    "sa-east-1",
];
/// Smart region groups: Supabase picks a region within the group.
pub const REGION_GROUPS: [&str; 3] = ["americas", "emea", "apac"];
/// The group used when the recommendation cannot be had.
pub const FALLBACK_REGION_GROUP: &str = "emea";
/// Where the clients are, for the recommendation (the seed's clients are African).
pub const CLIENT_CONTINENT: &str = "AF";

/// Where the project goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionChoice {
    /// `--region <code>`.
    Specific(String),
    /// `--region-group americas|emea|apac`.
    Group(String),
    /// Neither: what `available-regions` recommends for [`CLIENT_CONTINENT`], else the
    /// [`FALLBACK_REGION_GROUP`].
    Recommended,
}

impl RegionChoice {
    pub fn from_args(region: Option<&str>, group: Option<&str>) -> Result<Self, Failure> {
        match (region, group) {
            (Some(_), Some(_)) => Err(Failure::Config(
                "give --region or --region-group, not both".into(),
            )),
            (Some(code), None) if REGIONS.contains(&code) => {
                Ok(RegionChoice::Specific(code.into()))
            }
            (Some(code), None) => Err(Failure::Config(format!(
                "unknown region {code}; the Management API accepts: {}",
                REGIONS.join(", ")
            ))),
            (None, Some(code)) if REGION_GROUPS.contains(&code) => {
                Ok(RegionChoice::Group(code.into()))
            }
            (None, Some(code)) => Err(Failure::Config(format!(
                "unknown region group {code}; the Management API accepts: {}",
                REGION_GROUPS.join(", ")
            ))),
            (None, None) => Ok(RegionChoice::Recommended),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_checked_against_the_apis_codes() {
        assert_eq!(
            RegionChoice::from_args(None, None).unwrap(),
            RegionChoice::Recommended
        );
        assert_eq!(
            RegionChoice::from_args(Some("eu-west-2"), None).unwrap(),
            RegionChoice::Specific("eu-west-2".into())
        );
        assert_eq!(
            RegionChoice::from_args(None, Some("emea")).unwrap(),
            RegionChoice::Group("emea".into())
        );
        let unknown = RegionChoice::from_args(Some("af-south-1"), None).unwrap_err();
        assert_eq!(unknown.exit_code(), 2);
        assert!(unknown.to_string().contains("eu-west-1"), "{unknown}");
        assert!(RegionChoice::from_args(None, Some("africa"))
            .unwrap_err()
            .to_string()
            .contains("americas, emea, apac"));
    }
}
