/*
 * A PAM module for twisted_mysqlauth's tests (built by tests/pamtools.py
 * with the C compiler; needs no PAM headers). Each argument is one step,
 * run in order by pam_sm_authenticate:
 *
 *   ask=PROMPT     ask PROMPT with echo off; the answer is remembered
 *   askecho=PROMPT ask PROMPT with echo on
 *   expect=VALUE   the last answer must be VALUE, or PAM_AUTH_ERR
 *   info=TEXT      send TEXT as a PAM_TEXT_INFO message
 *   rename=USER    set PAM_USER to USER
 *   sleep=SECONDS  sleep (a slow or hanging stack)
 *   touch=PREFIX   create the file PREFIX.<pid> (the test sees it is in PAM)
 *   waitfor=PATH   wait until the file PATH exists (a stack held on purpose)
 *
 * Copyright (c) twisted_mysqlauth developers. See LICENSE for details.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdio.h>
#include <fcntl.h>

typedef struct pam_handle pam_handle_t;
struct pam_message { int msg_style; const char *msg; };
struct pam_response { char *resp; int resp_retcode; };
struct pam_conv {
    int (*conv)(int, const struct pam_message **, struct pam_response **, void *);
    void *appdata_ptr;
};
extern int pam_get_item(const pam_handle_t *, int, const void **);
extern int pam_set_item(pam_handle_t *, int, const void *);

enum { OK = 0, AUTH_ERR = 7, CONV_ERR = 19, ITEM_CONV = 5, ITEM_USER = 2 };
enum { ECHO_OFF = 1, ECHO_ON = 2, TEXT_INFO = 4 };

static int talk(pam_handle_t *pamh, int style, const char *text, char **answer)
{
    const struct pam_conv *conv = NULL;
    struct pam_message message = { style, text };
    const struct pam_message *messages[1] = { &message };
    struct pam_response *responses = NULL;
    int status;

    if (pam_get_item(pamh, ITEM_CONV, (const void **)&conv) != OK || conv == NULL)
        return CONV_ERR;
    status = conv->conv(1, messages, &responses, conv->appdata_ptr);
    if (status != OK)
        return status;
    if (answer != NULL) {
        *answer = (responses && responses[0].resp) ? responses[0].resp : strdup("");
    } else if (responses && responses[0].resp) {
        free(responses[0].resp);
    }
    free(responses);
    return OK;
}

int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    char *last = NULL;
    int i, status = OK;
    (void)flags;
    for (i = 0; i < argc && status == OK; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "ask=", 4) == 0 || strncmp(arg, "askecho=", 8) == 0) {
            int echo = arg[3] != '=';
            free(last);
            last = NULL;
            status = talk(pamh, echo ? ECHO_ON : ECHO_OFF, strchr(arg, '=') + 1, &last);
        } else if (strncmp(arg, "expect=", 7) == 0) {
            if (last == NULL || strcmp(last, arg + 7) != 0)
                status = AUTH_ERR;
        } else if (strncmp(arg, "info=", 5) == 0) {
            status = talk(pamh, TEXT_INFO, arg + 5, NULL);
        } else if (strncmp(arg, "rename=", 7) == 0) {
            status = pam_set_item(pamh, ITEM_USER, arg + 7);
        } else if (strncmp(arg, "sleep=", 6) == 0) {
            sleep((unsigned)atoi(arg + 6));
        } else if (strncmp(arg, "touch=", 6) == 0) {
            char path[4096];
            int fd;
            snprintf(path, sizeof path, "%s.%ld", arg + 6, (long)getpid());
            fd = open(path, O_WRONLY | O_CREAT, 0600);
            if (fd >= 0)
                close(fd);
        } else if (strncmp(arg, "waitfor=", 8) == 0) {
            while (access(arg + 8, F_OK) != 0)
                usleep(20000);
        }
    }
    free(last);
    return status;
}

int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh; (void)flags; (void)argc; (void)argv;
    return OK;
}

int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh; (void)flags; (void)argc; (void)argv;
    return OK;
}
