/* Render a replayed host as the screen, the detail pane, the help screen
 * or a snapshot would show it, for the golden tests (tests/golden.sh).
 * Usage: golden-view FILE MODE WIDTH HEIGHT [ascii]
 * MODE: screen, detail, help, blame or snapshot (HEIGHT ignored). The replay is
 * played to its end; the last frame is rendered. Screen modes print each
 * line, then each line's attributes (one letter a view attribute). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver.h"
#include "snapshot.h"
#include "view.h"

static int cat(const char *path)
{
	FILE *fp = fopen(path, "r");
	if (!fp)
		return -1;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(fp);
	return 0;
}

static int snapshot(const struct pipeline *p, const struct ui *u, int width)
{
	char dir[] = "/tmp/vtax-golden-XXXXXX", path[4096], *cause = NULL;
	if (!mkdtemp(dir))
		return 1;
	int rc = 0;
	if (snapshot_save(dir, &p->f, u, &p->hist, p->cap, width, path, sizeof(path), &cause) < 0) {
		fprintf(stderr, "golden-view: %s\n", cause);
		free(cause);
		rc = 1;
	} else {
		cat(path);
		unlink(path);
		size_t l = strlen(path);
		memcpy(path + l - 4, ".json", 6);
		cat(path);
		unlink(path);
	}
	rmdir(dir);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: golden-view FILE screen|detail|help|blame|snapshot WIDTH HEIGHT [ascii]\n");
		return 2;
	}
	const char *mode = argv[2];
	int width = atoi(argv[3]), height = atoi(argv[4]);
	char *cause = NULL;
	struct source *src = source_replay(argv[1], &cause);
	if (!src) {
		fprintf(stderr, "golden-view: %s\n", cause);
		free(cause);
		return 2;
	}
	struct ui u;
	ui_init(&u);
	u.ascii = argc > 5 && !strcmp(argv[5], "ascii");
	struct pipeline p;
	pipeline_init(&p, src, NULL, NULL);
	int r;
	while ((r = pipeline_step(&p, u.sort, u.desc, &cause)) > 0)
		;
	if (r < 0 || !p.have_frame) {
		fprintf(stderr, "golden-view: %s\n", cause ? cause : "no sample");
		free(cause);
		pipeline_free(&p);
		source_free(src);
		return 2;
	}
	free(cause);
	int rc = 0;
	if (!strcmp(mode, "snapshot")) {
		rc = snapshot(&p, &u, width);
	} else {
		u.help = !strcmp(mode, "help");
		u.detail = !strcmp(mode, "detail");
		u.blame = !strcmp(mode, "blame");
		struct vscreen vs = {0};
		view_build(&vs, &p.f, &u, &p.hist, width, height);
		for (int i = 0; i < vs.n; i++) {
			size_t l = strlen(vs.lines[i].text);
			while (l && vs.lines[i].text[l - 1] == ' ')
				l--;
			printf("%.*s\n", (int)l, vs.lines[i].text);
		}
		printf("--- attributes\n");
		for (int i = 0; i < vs.n; i++) {
			for (int x = 0; x < vs.lines[i].width; x++)
				putchar('a' + vs.lines[i].attr[x]);
			putchar('\n');
		}
		vscreen_free(&vs);
	}
	pipeline_free(&p);
	source_free(src);
	return rc;
}
