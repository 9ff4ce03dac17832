package dev.triggergate.engine.memory;

import dev.triggergate.engine.Matching;
import dev.triggergate.engine.memory.Profile.Subscription;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the profile for a {@code data} item in every matching mode of SPEC §4. Filled once, by the
 * one thread that builds it, before it is put in force; never changed after, so every event loop
 * and worker reads it without locks.
 */
final class ProfileIndex {
  private final Map<String, String> ids = new HashMap<>();
  private final Map<String, String> profileEmails = new HashMap<>();
  private final Map<String, String> subscriptionEmails = new HashMap<>();
  private final Map<String, String> profilePhones = new HashMap<>();
  private final Map<String, String> subscriptionPhones = new HashMap<>();
  private final Map<String, String> pushSubscriptions = new HashMap<>();
  private final Map<String, String> customFields = new HashMap<>();
  private final Map<String, String> customSubscriptions = new HashMap<>();
  private final boolean autoProfiles;

  /**
   * @param autoProfiles whether a key no profile holds resolves to a profile derived from it
   */
  ProfileIndex(List<Profile> profiles, boolean autoProfiles) {
    this(autoProfiles);
    for (Profile profile : profiles) {
      add(profile);
    }
  }

  /** An empty index, to be filled with {@link #add} before it is put in force. */
  ProfileIndex(boolean autoProfiles) {
    this.autoProfiles = autoProfiles;
  }

  int size() {
    return ids.size();
  }

  /** Indexes one more profile; the first profile to hold a key keeps it. */
  void add(Profile profile) {
    String id = profile.id();
    ids.putIfAbsent(id, id);
    if (profile.email() != null) {
      profileEmails.putIfAbsent(Keys.email(profile.email()), id);
    }
    if (profile.phone() != null) {
      profilePhones.putIfAbsent(Keys.phone(profile.phone()), id);
    }
    profile.fields().forEach((name, value) -> customFields.putIfAbsent(Keys.pair(name, value), id));
    for (Subscription sub : profile.subscriptions()) {
      switch (sub.channel()) {
        case EMAIL -> subscriptionEmails.putIfAbsent(Keys.email(sub.email()), id);
        case SMS -> subscriptionPhones.putIfAbsent(Keys.phone(sub.phone()), id);
        case PUSH ->
            pushSubscriptions.putIfAbsent(Keys.pair(sub.provider(), sub.subscriptionId()), id);
        case CUSTOM ->
            sub.fields()
                .forEach(
                    (name, value) -> customSubscriptions.putIfAbsent(Keys.pair(name, value), id));
      }
    }
  }

  /**
   * The profile id for one item, or null when none matches.
   *
   * @param item a validated {@code data} item
   * @param fieldName the top-level {@code field_name} for the custom modes
   */
  String find(Matching matching, Map<String, Object> item, String fieldName) {
    return switch (matching) {
      case EMAIL -> byEmail(item, profileEmails, subscriptionEmails);
      case EMAIL_PROFILE -> byEmail(item, profileEmails, null);
      case EMAIL_SUB -> byEmail(item, subscriptionEmails, null);
      case PHONE -> byPhone(item, profilePhones, subscriptionPhones);
      case PHONE_SUB -> byPhone(item, subscriptionPhones, null);
      case PROFILE_ID -> byProfileId((String) item.get("profile_id"));
      case PUSH_SUB -> byPush((String) item.get("provider"), (String) item.get("subscription_id"));
      case CUSTOM -> byField(fieldName, item.get("field_value"), customFields);
      case CUSTOM_SUB -> byField(fieldName, item.get("field_value"), customSubscriptions);
      case EMAIL_PHONE -> byEmailOrPhone(item, profileEmails, profilePhones);
      case EMAIL_PHONE_SUB -> byEmailOrPhone(item, subscriptionEmails, subscriptionPhones);
    };
  }

  private String byEmail(
      Map<String, Object> item, Map<String, String> first, Map<String, String> second) {
    String key = Keys.email((String) item.get("email"));
    String id = lookup(key, first, second);
    return id != null || !autoProfiles ? id : Keys.autoId("email:" + key);
  }

  private String byPhone(
      Map<String, Object> item, Map<String, String> first, Map<String, String> second) {
    String key = Keys.phone((String) item.get("phone"));
    String id = lookup(key, first, second);
    return id != null || !autoProfiles ? id : Keys.autoId("phone:" + key);
  }

  private String byEmailOrPhone(
      Map<String, Object> item, Map<String, String> emails, Map<String, String> phones) {
    Object email = item.get("email");
    Object phone = item.get("phone");
    String id = email == null ? null : emails.get(Keys.email((String) email));
    if (id == null && phone != null) {
      id = phones.get(Keys.phone((String) phone));
    }
    if (id != null || !autoProfiles) {
      return id;
    }
    return email != null
        ? Keys.autoId("email:" + Keys.email((String) email))
        : Keys.autoId("phone:" + Keys.phone((String) phone));
  }

  private String byProfileId(String profileId) {
    String id = ids.get(profileId);
    return id != null || !autoProfiles ? id : profileId;
  }

  private String byPush(String provider, String subscriptionId) {
    String key = Keys.pair(provider, subscriptionId);
    String id = pushSubscriptions.get(key);
    return id != null || !autoProfiles ? id : Keys.autoId("push:" + key);
  }

  private String byField(String fieldName, Object value, Map<String, String> index) {
    String key = Keys.pair(fieldName, Keys.fieldValue(value));
    String id = index.get(key);
    return id != null || !autoProfiles ? id : Keys.autoId("field:" + key);
  }

  private static String lookup(String key, Map<String, String> first, Map<String, String> second) {
    String id = first.get(key);
    return id != null || second == null ? id : second.get(key);
  }
}
