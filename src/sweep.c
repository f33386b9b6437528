/* sweep.c: signal the processes left behind (SPEC §1.2, §4).
 *
 * kill(-1) reaches every process the caller may signal except itself and
 * PID 1. Run anywhere but as PID 1 (hostPID, a shared process namespace, by
 * hand) it would hit the host's or the pod's other processes, so it is used
 * only when getpid() == 1; otherwise we signal exactly our descendants. */
#include "sweep.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

struct process_link {
	pid_t pid;
	pid_t parent;
	bool descendant;
};

bool sweep_is_pid1(void) { return getpid() == 1; }

/* The parent pid from /proc/PID/stat; -1 if the process is gone. */
static pid_t read_parent(pid_t pid)
{
	char path[64], text[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t length = read(fd, text, sizeof text - 1);
	close(fd);
	if (length <= 0)
		return -1;
	text[length] = '\0';
	/* The command name may hold spaces and parentheses: parse after the
	 * last ')'. Fields then: state, ppid. */
	char *end = strrchr(text, ')');
	if (end == NULL || strlen(end) < 5 || end[1] != ' ' || end[3] != ' ')
		return -1;
	char *number_end;
	long parent = strtol(end + 4, &number_end, 10);
	return number_end == end + 4 ? -1 : (pid_t)parent;
}

static size_t read_process_table(struct process_link **table)
{
	size_t count = 0, capacity = 0;
	*table = NULL;
	DIR *directory = opendir("/proc");
	if (directory == NULL) {
		log_warn("cannot read /proc to find leftover processes: %s", strerror(errno));
		return 0;
	}
	struct dirent *entry;
	while ((entry = readdir(directory)) != NULL) {
		char *end;
		long pid = strtol(entry->d_name, &end, 10);
		if (*end != '\0' || pid <= 0)
			continue;
		pid_t parent = read_parent((pid_t)pid);
		if (parent < 0)
			continue;
		if (count == capacity) {
			capacity = capacity ? capacity * 2 : 256;
			struct process_link *grown = realloc(*table, capacity * sizeof *grown);
			if (grown == NULL)
				break;
			*table = grown;
		}
		(*table)[count++] = (struct process_link){ (pid_t)pid, parent, false };
	}
	closedir(directory);
	return count;
}

static int signal_descendants(int signal_number)
{
	struct process_link *table;
	size_t count = read_process_table(&table);
	pid_t self = getpid();
	/* Mark descendants until a pass adds none (depth-many passes). */
	for (bool changed = true; changed;) {
		changed = false;
		for (size_t i = 0; i < count; i++) {
			if (table[i].descendant)
				continue;
			bool parent_marked = table[i].parent == self;
			for (size_t j = 0; !parent_marked && j < count; j++)
				parent_marked = table[j].descendant && table[j].pid == table[i].parent;
			if (parent_marked)
				table[i].descendant = changed = true;
		}
	}
	int signalled = 0;
	for (size_t i = 0; i < count; i++)
		if (table[i].descendant && kill(table[i].pid, signal_number) == 0)
			signalled++;
	free(table);
	return signalled;
}

int sweep_signal_leftovers(int signal_number)
{
	if (!sweep_is_pid1())
		return signal_descendants(signal_number);
	if (kill(-1, signal_number) == 0)
		return 1;
	if (errno != ESRCH)
		log_warn("cannot signal leftover processes: %s", strerror(errno));
	return 0;
}
