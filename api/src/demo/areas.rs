//! Demo villages in some subdistricts of the SRA provinces.
use std::collections::{BTreeMap, HashMap};

use entity::{area, enums::AreaLevel};
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::{
    area::service::{SRA_PROVINCES, import_areas},
    error::{ApiError, ApiResult},
};

use super::*;

/// A village the generator may put households in, with the names an address needs.
#[derive(Debug, Clone)]
pub(super) struct Place {
    pub(super) village_code: String,
    pub(super) moo: u32,
    pub(super) subdistrict: String,
    pub(super) district: String,
    pub(super) province: String,
    pub(super) location: Option<(f64, f64)>,
}

/// Upserts `<subdistrict><01..05>` villages in some subdistricts of each SRA province.
pub(super) async fn seed_villages(
    db: &DatabaseConnection,
    summary: &mut DemoSummary,
) -> ApiResult<BTreeMap<&'static str, Vec<Place>>> {
    let mut rng = StdRng::seed_from_u64(SEED);
    let names: HashMap<String, String> = area::Entity::find()
        .filter(area::Column::Level.is_in([AreaLevel::Province, AreaLevel::District]))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.code, a.name_th))
        .collect();
    let mut csv = csv::Writer::from_writer(Vec::new());
    let write = |w: &mut csv::Writer<Vec<u8>>, row: [String; 9]| {
        w.write_record(row).map_err(ApiError::internal)
    };
    write(
        &mut csv,
        [
            "code",
            "level",
            "parent_code",
            "name_th",
            "name_en",
            "postal_code",
            "lat",
            "lng",
            "region",
        ]
        .map(String::from),
    )?;
    let mut places: BTreeMap<&'static str, Vec<Place>> = BTreeMap::new();
    for province in SRA_PROVINCES {
        let subdistricts = area::Entity::find()
            .filter(area::Column::Level.eq(AreaLevel::Subdistrict))
            .filter(area::Column::Code.like(format!("{province}%")))
            .order_by_asc(area::Column::Code)
            .all(db)
            .await?;
        if subdistricts.is_empty() {
            return Err(ApiError::internal(format!(
                "no subdistricts of province {province}: the reference areas are not loaded"
            )));
        }
        // Evenly spread over the province, shifted by the seeded generator.
        let step = (subdistricts.len() / SUBDISTRICTS_PER_PROVINCE).max(1);
        let offset = rng.random_range(0..step);
        for s in subdistricts
            .iter()
            .skip(offset)
            .step_by(step)
            .take(SUBDISTRICTS_PER_PROVINCE)
        {
            for moo in 1..=VILLAGES_PER_SUBDISTRICT as u32 {
                let code = format!("{}{moo:02}", s.code);
                let (th, en) = pick(&mut rng, VILLAGE_NAMES);
                let location = s.lat.zip(s.lng).map(|(lat, lng)| {
                    let jitter = |r: &mut StdRng| f64::from(r.random_range(-150..=150)) / 10_000.0;
                    (lat + jitter(&mut rng), lng + jitter(&mut rng))
                });
                write(
                    &mut csv,
                    [
                        code.clone(),
                        "VILLAGE".into(),
                        s.code.clone(),
                        format!("บ้าน{th}"),
                        format!("Ban {en}"),
                        s.postal_code.clone().unwrap_or_default(),
                        location.map(|l| format!("{:.4}", l.0)).unwrap_or_default(),
                        location.map(|l| format!("{:.4}", l.1)).unwrap_or_default(),
                        s.region.clone().unwrap_or_default(),
                    ],
                )?;
                places.entry(province).or_default().push(Place {
                    village_code: code,
                    moo,
                    subdistrict: s.name_th.clone(),
                    district: s
                        .code
                        .get(..4)
                        .and_then(|d| names.get(d))
                        .cloned()
                        .unwrap_or_default(),
                    province: names.get(province).cloned().unwrap_or_default(),
                    location,
                });
            }
        }
    }
    let bytes = csv.into_inner().map_err(ApiError::internal)?;
    let report = import_areas(db, bytes.as_slice()).await?;
    if let Some((line, reason)) = report.rejected.first() {
        return Err(ApiError::internal(format!(
            "demo villages: line {line}: {reason}"
        )));
    }
    summary.villages_created = report.created;
    Ok(places)
}

pub(super) const VILLAGE_NAMES: &[(&str, &str)] = &[
    ("หนองบัว", "Nong Bua"),
    ("ดอนแก้ว", "Don Kaeo"),
    ("ป่าตาล", "Pa Tan"),
    ("สันติสุข", "Santisuk"),
    ("โคกสะอาด", "Khok Sa-at"),
    ("นาเจริญ", "Na Charoen"),
    ("ห้วยทราย", "Huai Sai"),
    ("หนองแวง", "Nong Waeng"),
    ("ดอนไชย", "Don Chai"),
    ("ท่าช้าง", "Tha Chang"),
    ("ป่าแดง", "Pa Daeng"),
    ("น้ำริน", "Nam Rin"),
    ("ทุ่งเจริญ", "Thung Charoen"),
    ("โนนสวรรค์", "Non Sawan"),
    ("หนองหิน", "Nong Hin"),
    ("บ่อแก้ว", "Bo Kaeo"),
    ("วังทอง", "Wang Thong"),
    ("ควนเนียง", "Khuan Niang"),
    ("ทุ่งยาว", "Thung Yao"),
    ("แม่ตีบ", "Mae Tip"),
    ("สามัคคี", "Samakkhi"),
    ("ใหม่พัฒนา", "Mai Phatthana"),
    ("โพธิ์ทอง", "Pho Thong"),
    ("บางหมู", "Bang Mu"),
];
