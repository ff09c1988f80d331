import CSystemd

/// Loading the schedules allocates far more than the plan keeps (a roster's cells, every row's expanded table,
/// the builder's indexes), and glibc keeps freed pages in the process. Handing them back after a load keeps the
/// resident size near what the plan needs: docs/benchmarks.md has the figures.
enum Heap {
    static func returnFreedMemory() {
        _ = malloc_trim(0)
    }
}
