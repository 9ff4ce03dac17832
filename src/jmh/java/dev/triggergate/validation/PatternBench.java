package dev.triggergate.validation;

import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One schema pattern on one string: {@link LinearPattern#find} against a reused java.util.regex
 * Matcher ({@code reset(s).find()}, one per thread as the compiled check keeps them) on the same
 * pattern's ECMA-262 translation, and, for scale, a Matcher on the pattern as written (Java's
 * meaning, what the check ran before issue 11). LinearPattern stays only while it is clearly the
 * faster (issue 11).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(
    value = 2,
    jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class PatternBench {
  /** The pattern of one schema field, with strings such a field carries (all valid). */
  @State(Scope.Thread)
  public static class Field {
    @Param({"email", "phone", "profile_id", "attach"})
    String field;

    String[] values;
    EcmaPattern pattern;
    Matcher translated;
    Matcher asWritten;
    int next;

    @Setup
    public void setUp() {
      String source = SchemaPatterns.of(BatchSchema.load().document(), field);
      values = valuesOf(field);
      pattern = EcmaPattern.parse(source);
      translated = pattern.toJava().matcher("");
      asWritten = Pattern.compile(source).matcher("");
      for (String value : values) {
        if (!translated.reset(value).find()) {
          throw new IllegalStateException(field + " refuses its benchmark value " + value);
        }
      }
    }

    String value() {
      return values[next++ % values.length];
    }
  }

  /** The fields whose pattern has a one-pass form (the phone pattern's group has none). */
  @State(Scope.Thread)
  public static class LinearField {
    @Param({"email", "profile_id", "attach"})
    String field;

    String[] values;
    LinearPattern linear;
    int next;

    @Setup
    public void setUp() {
      values = valuesOf(field);
      linear =
          LinearPattern.of(
              EcmaPattern.parse(SchemaPatterns.of(BatchSchema.load().document(), field)));
      if (linear == null) {
        throw new IllegalStateException(field + " has no one-pass form");
      }
      for (String value : values) {
        if (!linear.find(value)) {
          throw new IllegalStateException(field + " refuses its benchmark value " + value);
        }
      }
    }

    String value() {
      return values[next++ % values.length];
    }
  }

  @Benchmark
  public boolean linear(LinearField state) {
    return state.linear.find(state.value());
  }

  @Benchmark
  public boolean matcher(Field state) {
    return state.translated.reset(state.value()).find();
  }

  @Benchmark
  public boolean matcherAsWritten(Field state) {
    return state.asWritten.reset(state.value()).find();
  }

  private static String[] valuesOf(String field) {
    return switch (field) {
      case "email" ->
          new String[] {
            "anna.petrova@example.com",
            "u123456@mail.example.org",
            "ivan_ivanov+promo@corp.example.ru",
            "b@b.co"
          };
      case "phone" ->
          new String[] {"+7 (900) 000-00-02", "+79001234567", "8-900-123-45-67", "+1 555 0100"};
      case "profile_id" ->
          new String[] {
            "6606e08f10bcdd88297057a7", "66101437dc4594c2934da6da", "6611a0c4e7b1f2a3b4c5d6e7"
          };
      default ->
          new String[] {
            "data:text/plain;base64," + "SGVsbG8gd29ybGQh".repeat(64),
            "data:application/pdf;base64," + "JVBERi0xLjQK".repeat(64)
          };
    };
  }
}
