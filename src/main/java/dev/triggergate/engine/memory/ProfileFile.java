package dev.triggergate.engine.memory;

import dev.triggergate.config.ConfigException;
import dev.triggergate.engine.memory.Profile.Channel;
import dev.triggergate.engine.memory.Profile.Subscription;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads the profile file: NDJSON (one profile a line) or a JSON array. Read once at start-up; a bad
 * profile stops start-up with the file, line and what is wrong.
 */
public final class ProfileFile {
  private static final Pattern PROFILE_ID = Pattern.compile("[0-9a-f]{24}");

  private ProfileFile() {}

  public static List<Profile> read(Path file) {
    String where = "engine.memory.profiles_file: " + file;
    try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      reader.mark(1 << 16);
      int first = firstNonBlank(reader);
      reader.reset();
      List<Profile> profiles = new ArrayList<>();
      if (first == '[') {
        JsonArray array =
            new JsonArray(new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
        for (int i = 0; i < array.size(); i++) {
          profiles.add(profile(array.getValue(i), where + ": item " + i));
        }
        return profiles;
      }
      String line;
      int number = 0;
      while ((line = reader.readLine()) != null) {
        number++;
        if (!line.isBlank()) {
          profiles.add(
              profile(decode(line, where + ": line " + number), where + ": line " + number));
        }
      }
      return profiles;
    } catch (IOException e) {
      throw new ConfigException(where + ": cannot read: " + e.getMessage(), e);
    } catch (DecodeException | ClassCastException e) {
      throw new ConfigException(where + ": not valid JSON: " + e.getMessage(), e);
    }
  }

  /**
   * One line of an upload (NDJSON) as a profile, decoded from its bytes as they are; a bad line is
   * a {@link ConfigException} naming it.
   *
   * @param number the line's number, from 1, for the message
   */
  static Profile line(Buffer bytes, int number) {
    String where = "line " + number;
    JsonObject json;
    try {
      json = new JsonObject(bytes);
    } catch (DecodeException e) {
      throw new ConfigException(where + ": not a JSON object: " + e.getMessage(), e);
    }
    try {
      return profile(json, where);
    } catch (ClassCastException e) {
      throw new ConfigException(where + ": not a profile: " + e.getMessage(), e);
    }
  }

  private static int firstNonBlank(BufferedReader reader) throws IOException {
    int c;
    do {
      c = reader.read();
    } while (c >= 0 && Character.isWhitespace(c));
    return c;
  }

  private static Object decode(String line, String where) {
    try {
      return new JsonObject(line);
    } catch (DecodeException e) {
      throw new ConfigException(where + ": not a JSON object: " + e.getMessage(), e);
    }
  }

  private static Profile profile(Object value, String where) {
    if (!(value instanceof JsonObject json)) {
      throw new ConfigException(where + ": expected a JSON object");
    }
    String id = json.getString("profile_id");
    if (id == null || !PROFILE_ID.matcher(id).matches()) {
      throw new ConfigException(where + ": profile_id must be 24 lowercase hex characters");
    }
    List<Subscription> subscriptions = new ArrayList<>();
    // A null list or a null in it reads as null, not as a wrong type: refused here by name.
    JsonArray subs = json.getJsonArray("subscriptions");
    for (int i = 0; subs != null && i < subs.size(); i++) {
      String at = where + ": subscriptions[" + i + "]";
      if (!(subs.getValue(i) instanceof JsonObject sub)) {
        throw new ConfigException(at + ": expected a JSON object");
      }
      subscriptions.add(subscription(sub, at));
    }
    return new Profile(
        id,
        json.getString("email"),
        json.getString("phone"),
        fields(json.getJsonObject("fields"), where),
        List.copyOf(subscriptions));
  }

  private static Subscription subscription(JsonObject json, String where) {
    String channelName = json.getString("channel");
    Channel channel;
    try {
      channel = Channel.valueOf(String.valueOf(channelName).toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": channel must be email, sms, push or custom");
    }
    Subscription subscription =
        new Subscription(
            channel,
            json.getString("email"),
            json.getString("phone"),
            json.getString("provider"),
            json.getString("subscription_id"),
            fields(json.getJsonObject("fields"), where));
    boolean complete =
        switch (channel) {
          case EMAIL -> subscription.email() != null;
          case SMS -> subscription.phone() != null;
          case PUSH -> subscription.provider() != null && subscription.subscriptionId() != null;
          case CUSTOM -> !subscription.fields().isEmpty();
        };
    if (!complete) {
      throw new ConfigException(where + ": a " + channelName + " subscription lacks its address");
    }
    return subscription;
  }

  private static Map<String, String> fields(JsonObject json, String where) {
    Map<String, String> fields = new LinkedHashMap<>();
    if (json == null) {
      return fields;
    }
    for (String name : json.fieldNames()) {
      Object value = json.getValue(name);
      if (!(value instanceof String) && !(value instanceof Number)) {
        throw new ConfigException(where + ": field " + name + " must be a string or a number");
      }
      fields.put(name, Keys.fieldValue(value));
    }
    return fields;
  }
}
