/* otlp_curl.c: CURLMOPT_SOCKETFUNCTION/TIMERFUNCTION onto evloop watchers and one timer. */
#include "otlp_curl.h"

#include <errno.h>
#include <stdlib.h>

#include "log.h"

/* One watcher per socket libcurl wants watched; found again through curl_multi_assign. */
struct otlp_curl_sock {
	struct ev_io io;
	struct otlp_curl *c;
};

static void otlp_curl_check_done(struct otlp_curl *c)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(c->multi, &left))) {
		CURL *easy;
		CURLcode result;

		if (m->msg != CURLMSG_DONE)
			continue;
		easy = m->easy_handle;
		result = m->data.result;
		curl_multi_remove_handle(c->multi, easy);
		c->done(c, easy, result, c->data);
	}
}

static void otlp_curl_on_io(struct evloop *l, struct ev_io *w, uint32_t events)
{
	struct otlp_curl_sock *s = w->data;
	struct otlp_curl *c = s->c;
	int flags = 0;

	(void)l;
	if (events & (EPOLLIN | EPOLLHUP))
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & EPOLLERR)
		flags |= CURL_CSELECT_ERR;
	/* s may be freed inside this call (CURL_POLL_REMOVE): touch only c afterwards. */
	curl_multi_socket_action(c->multi, w->fd, flags, &c->running);
	otlp_curl_check_done(c);
}

static void otlp_curl_on_timer(struct evloop *l, struct ev_timer *t)
{
	struct otlp_curl *c = t->data;

	(void)l;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &c->running);
	otlp_curl_check_done(c);
}

static int otlp_curl_sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct otlp_curl *c = userp;
	struct otlp_curl_sock *s = socketp;
	uint32_t ev = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			ev_io_stop(c->loop, &s->io);
			curl_multi_assign(c->multi, fd, NULL);
			free(s);
		}
		return 0;
	}
	if (s)
		return ev_io_set_events(c->loop, &s->io, ev) ? -1 : 0;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -1;
	s->c = c;
	if (ev_io_start(c->loop, &s->io, fd, ev, otlp_curl_on_io, s)) {
		free(s);
		return -1;
	}
	curl_multi_assign(c->multi, fd, s);
	return 0;
}

/* libcurl forbids calling socket_action from here: a 0 ms timer runs it next round. */
static int otlp_curl_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct otlp_curl *c = userp;

	(void)multi;
	if (timeout_ms < 0) {
		ev_timer_stop(c->loop, &c->timer);
		return 0;
	}
	return ev_timer_start(c->loop, &c->timer, (uint64_t)timeout_ms * 1000000ULL) ? -1 : 0;
}

int otlp_curl_init(struct otlp_curl *c, struct evloop *l, otlp_curl_done_cb done, void *data)
{
	*c = (struct otlp_curl){.loop = l, .done = done, .data = data};
	ev_timer_init(&c->timer, otlp_curl_on_timer, c);
	c->multi = curl_multi_init();
	if (!c->multi)
		return -ENOMEM;
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, otlp_curl_sock_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, otlp_curl_timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	return 0;
}

int otlp_curl_add(struct otlp_curl *c, CURL *easy)
{
	CURLMcode rc = curl_multi_add_handle(c->multi, easy);

	if (rc != CURLM_OK) {
		log_warnx("otlp: cannot start a transfer: %s", curl_multi_strerror(rc));
		return -EIO;
	}
	return 0;
}

void otlp_curl_remove(struct otlp_curl *c, CURL *easy)
{
	curl_multi_remove_handle(c->multi, easy);
}

void otlp_curl_free(struct otlp_curl *c)
{
	if (!c->multi)
		return;		      /* never initialised, or freed already */
	curl_multi_cleanup(c->multi); /* calls CURL_POLL_REMOVE for every watched socket */
	ev_timer_stop(c->loop, &c->timer);
	c->multi = NULL;
}
