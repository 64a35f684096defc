package common.cli;

import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads a timeout as kubectl writes it: {@code 90}, {@code 90s}, {@code 2m}. */
public class DurationParameter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        String text = value.trim().toLowerCase(java.util.Locale.ROOT);
        try {
            Duration duration;
            if (text.endsWith("ms")) {
                duration = Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
            } else if (text.endsWith("m")) {
                duration = Duration.ofMinutes(Long.parseLong(text.substring(0, text.length() - 1)));
            } else {
                duration = Duration.ofSeconds(Long.parseLong(text.endsWith("s") ? text.substring(0, text.length() - 1)
                        : text));
            }
            if (duration.compareTo(Deadline.LONGEST) > 0) {
                throw new TypeConversionException("'" + value + "' is longer than the longest timeout, "
                        + Deadline.LONGEST.toHours() + "h");
            }
            if (!duration.isNegative() && !duration.isZero()) {
                return duration;
            }
        } catch (NumberFormatException | ArithmeticException invalid) {
            // not a number, or more than a Duration holds: reported below
        }
        throw new TypeConversionException("'" + value + "' is not a duration such as 90s or 2m");
    }
}
