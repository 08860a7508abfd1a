//! Who did what, by name (issue 17): the display names of the users this device meets, as the
//! server last sent them with sync (`DeviceFile::names`), for every view that shows a user —
//! a person's history and review notes, the transfer chain's logs, the offline console.
//!
//! A user is named by the server's set, then by this device's own account; the server's deadline
//! engine ([`SYSTEM_USER`]) is 系统 / System; anyone else shows as their id, which is what the
//! views showed before the names arrived.

use std::collections::BTreeMap;

use outpost_shared::i18n::Lang;
use outpost_shared::sync::message::SYSTEM_USER;

use crate::AppCore;

/// What the server's engine is called.
fn system_name(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "系统",
        Lang::En => "System",
    }
}

impl AppCore {
    /// The display name of `user_id` as this device knows it, or the id itself.
    pub fn display_name(&self, user_id: &str) -> String {
        if user_id == SYSTEM_USER {
            return system_name(self.lang()).to_owned();
        }
        let Some(device) = &self.device else {
            return user_id.to_owned();
        };
        if let Some(name) = device.names.as_ref().and_then(|set| set.get(user_id)) {
            return name.to_owned();
        }
        if device.account.user_id == user_id && !device.account.display_name.is_empty() {
            return device.account.display_name.clone();
        }
        user_id.to_owned()
    }

    /// Every name [`AppCore::display_name`] knows, by user id, for the views that look names up
    /// in a table (the console's flows, `outpost_shared::console::flow::person_events`).
    pub(crate) fn known_names(&self) -> BTreeMap<String, String> {
        let mut names = BTreeMap::new();
        if let Some(device) = &self.device {
            if !device.account.display_name.is_empty() {
                names.insert(
                    device.account.user_id.clone(),
                    device.account.display_name.clone(),
                );
            }
            if let Some(set) = &device.names {
                names.extend(
                    set.names
                        .iter()
                        .filter(|(_, name)| !name.is_empty())
                        .map(|(id, name)| (id.clone(), name.clone())),
                );
            }
        }
        names.insert(SYSTEM_USER.to_owned(), system_name(self.lang()).to_owned());
        names
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use outpost_shared::hlc::SystemClock;
    use outpost_shared::i18n::Lang;
    use outpost_shared::jurisdiction::JurisdictionOverlay;
    use outpost_shared::sync::message::UserNames;

    use crate::AppCore;
    use crate::device::{Account, DeviceFile};
    use crate::vault;

    fn enrolled(names: Option<UserNames>) -> (tempfile::TempDir, AppCore) {
        let dir = tempfile::tempdir().unwrap();
        let key = [7u8; 32];
        let device = DeviceFile {
            server_url: "http://127.0.0.1:1".into(),
            device_id: "dev-1".into(),
            device_label: "手机".into(),
            account: Account {
                user_id: "nansha-worker-1".into(),
                display_name: "张三".into(),
                role: "worker".into(),
                unit: "440115001".into(),
            },
            lang: Lang::Zh,
            key: vault::wrap(&key, "135790").unwrap(),
            token: vault::seal(&key, b"token").unwrap(),
            failed_unlocks: 0,
            last_failed_unlock_ms: None,
            deadlines: BTreeMap::new(),
            jurisdictions: JurisdictionOverlay::default(),
            programs: None,
            names,
        };
        device.save(dir.path()).unwrap();
        let app = AppCore::open(dir.path(), Arc::new(SystemClock)).unwrap();
        (dir, app)
    }

    #[test]
    fn a_user_is_named_by_the_servers_names_then_the_own_account_else_by_id() {
        let (_dir, app) = enrolled(None);
        assert_eq!(app.display_name("nansha-worker-1"), "张三");
        assert_eq!(app.display_name("district-admin"), "district-admin");
        assert_eq!(app.display_name("system"), "系统");

        let names = UserNames::new(BTreeMap::from([
            ("district-admin".to_owned(), "区卫健局".to_owned()),
            ("nansha-worker-1".to_owned(), "张三丰".to_owned()),
        ]))
        .unwrap();
        let (_dir, mut app) = enrolled(Some(names));
        assert_eq!(app.display_name("district-admin"), "区卫健局");
        assert_eq!(
            app.display_name("nansha-worker-1"),
            "张三丰",
            "the server's is newer"
        );
        assert_eq!(app.display_name("unknown-user"), "unknown-user");
        let known = app.known_names();
        assert_eq!(known["district-admin"], "区卫健局");
        assert_eq!(known["nansha-worker-1"], "张三丰");
        assert_eq!(known["system"], "系统");
        app.set_lang(Lang::En).unwrap();
        assert_eq!(app.display_name("system"), "System");
        assert_eq!(app.known_names()["system"], "System");
    }
}
