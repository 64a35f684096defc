package common.cli;

import common.cluster.ClusterSecurity;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads {@code --security}, naming the valid choices when it is something else. */
public class SecurityParameter implements ITypeConverter<ClusterSecurity> {
    @Override
    public ClusterSecurity convert(String value) {
        try {
            return ClusterSecurity.parse(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
