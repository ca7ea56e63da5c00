package org.mettle.cli;

import org.mettle.backend.cpu.CpuParallel;
import org.mettle.backend.cpu.VectorSupport;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code mettle} command line. */
@Command(name = "mettle",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Mettle for Java: meta-token learning (LCD/MTI) on frozen audio-visual transformers.",
        subcommands = {DemoCommand.class, TrainCommand.class, EvalCommand.class, PredictCommand.class, CompareCommand.class, PretrainCommand.class,
                MemoryCommand.class, BenchCommand.class,
                InfoCommand.class, FeaturesCommand.class, FbankCommand.class, SynthCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code (tests call this instead of main). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parse) -> {
            // user-facing failures: one clear line, no stack trace (set METTLE_DEBUG=1 for it)
            if (System.getenv("METTLE_DEBUG") != null) {
                ex.printStackTrace();
            }
            cmd.getErr().println("mettle: " + ex.getMessage());
            return 1;
        });
        return cl.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Version line plus the runtime facts that matter for reproducing numbers. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {
                "mettle " + (v != null ? v : "dev"),
                "java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")",
                "cpu: " + CpuParallel.threads() + " threads, " + VectorSupport.describe(),
            };
        }
    }
}
