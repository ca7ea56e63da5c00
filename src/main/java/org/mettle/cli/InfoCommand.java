package org.mettle.cli;

import org.mettle.backend.Backends;
import picocli.CommandLine.Command;

/** Prints which backends are usable here and why. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Show the backends available on this machine.")
final class InfoCommand implements Runnable {
    @Override
    public void run() {
        System.out.println(Backends.cpu().describe());
        System.out.println(Backends.meta().describe());
        System.out.println("cuda: " + Backends.cudaStatus());
        System.out.println("cublas: " + org.mettle.backend.cuda.CublasSupport.status());
        System.out.println("cudnn: " + org.mettle.backend.cuda.CudnnSupport.status());
    }
}
