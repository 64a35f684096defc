package common.cli;

import java.util.function.Function;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads an option's value with its type's own parser, whose message names the valid choices. */
public abstract class ChoiceParameter<T> implements ITypeConverter<T> {
    private final Function<String, T> parse;

    protected ChoiceParameter(Function<String, T> parse) {
        this.parse = parse;
    }

    @Override
    public T convert(String value) {
        try {
            return parse.apply(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
