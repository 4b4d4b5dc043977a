// Kills bench/scale.ts's child processes if bench/scale.ts itself dies without doing it (SIGKILL,
// a crash before its exit handler): it runs detached, is told each child's pid over IPC, and when
// the IPC channel closes — its parent is gone, however it went — kills every pid it was told.
//
//   node --import tsx bench/reaper.ts <parent pid>     (forked detached, with IPC; messages: {pid, exited?})
const pids = new Set<number>();
process.on('message', (message) => {
  const { pid, exited } = message as { pid: number; exited?: boolean };
  if (exited) pids.delete(pid);
  else pids.add(pid);
});
process.on('disconnect', () => {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  process.exit(0);
});
