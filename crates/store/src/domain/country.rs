use super::InvalidValue;

/// The officially assigned ISO 3166-1 alpha-2 codes.
const ISO_3166_ALPHA2: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// A country as its ISO 3166-1 alpha-2 code, upper-case (`DE`, `US`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryCode(String);

impl CountryCode {
    /// Every assigned code, upper-case (for documents that list them).
    pub fn all() -> impl Iterator<Item = &'static str> {
        ISO_3166_ALPHA2.split(' ')
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let code = raw.trim().to_ascii_uppercase();
        let known = code.len() == 2 && ISO_3166_ALPHA2.split(' ').any(|c| c == code);
        if known {
            Ok(Self(code))
        } else {
            Err(InvalidValue::new(
                "must be an ISO 3166-1 alpha-2 country code, such as DE or US",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_assigned_codes_in_any_case() {
        assert_eq!(CountryCode::parse(" de ").unwrap().as_str(), "DE");
        assert_eq!(CountryCode::parse("US").unwrap().as_str(), "US");
    }

    #[test]
    fn refuses_unassigned_and_malformed_codes() {
        for raw in ["", "XX", "DEU", "D", "ÄÖ", "d e"] {
            assert!(CountryCode::parse(raw).is_err(), "{raw:?} was accepted");
        }
    }

    #[test]
    fn the_table_holds_249_codes() {
        assert_eq!(ISO_3166_ALPHA2.split(' ').count(), 249);
    }
}
