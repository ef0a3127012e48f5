//! The public waves file: every BLW wave published when this project began.

use crate::survey_file::SurveyFile;

pub const DATA: SurveyFile =
    SurveyFile { name: "m20261125_000003_surveys_data", key: "db/schemas/surveys/blw-public-waves.csv.gz" };
