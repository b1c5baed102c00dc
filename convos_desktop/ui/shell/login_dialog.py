"""The login dialog: server address, e-mail, password, remember me; clear errors.

Non-blocking: it is opened with ``open()``, the login runs on the app's loop and the result
leaves as ``loggedIn(Session, remember)``. Wrong password and unreachable server are told
apart; nothing typed is lost on an error.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.core.api import (
    ApiError,
    AuthError,
    ServerUnreachableError,
    TooManyAttemptsError,
)
from convos_desktop.core.session import (
    Profile,
    ProfileError,
    login,
    validate_profile,
)
from convos_desktop.ui.tasks import TaskRunner, describe_error

log = logging.getLogger("convos.ui")

DEVICE_NAME = "Convos Desktop"


class LoginDialog(QDialog):
    """See the module docstring."""

    loggedIn = Signal(object, bool)  # noqa: N815 (Session, remember me)

    def __init__(self, profile: Profile | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Sign in to Convos"))
        self.setMinimumWidth(420)
        self._tasks = TaskRunner()
        title = QLabel(self.tr("Sign in to Convos"), self)
        title.setStyleSheet("font-size: 16pt; font-weight: 600;")
        self.server = QLineEdit(profile.server_url if profile else "https://", self)
        self.server.setPlaceholderText("https://convos.example.com")
        self.email = QLineEdit(profile.email if profile else "", self)
        self.email.setPlaceholderText(self.tr("name@company.com"))
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.remember = QCheckBox(self.tr("Remember me on this computer"), self)
        self.remember.setChecked(True)
        self.no_keyring = QLabel(
            self.tr(
                "This computer has no password keyring (such as GNOME Keyring or KWallet), "
                "so Convos cannot remember your sign-in: you will be asked for your password "
                "at every start."
            ),
            self,
        )
        self.no_keyring.setObjectName("noKeyring")
        self.no_keyring.setWordWrap(True)
        self.no_keyring.setStyleSheet("color: #8a5a00;")
        self.no_keyring.hide()
        self.error = QLabel(self)
        self.error.setObjectName("loginError")
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c01c28;")
        self.error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.login_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.login_button.setText(self.tr("Sign in"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(self.tr("Server"), self.server)
        form.addRow(self.tr("E-mail"), self.email)
        form.addRow(self.tr("Password"), self.password)
        form.addRow("", self.remember)
        form.addRow("", self.no_keyring)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        (self.password if profile else self.server).setFocus()

    def set_keyring_available(self, available: bool) -> None:
        """Say, when the system has no keyring, that "Remember me" cannot work (it is
        unticked and disabled rather than silently ignored)."""
        self.no_keyring.setVisible(not available)
        self.remember.setEnabled(available)
        if not available:
            self.remember.setChecked(False)

    def submit(self) -> None:
        """Validate what was typed and start the login."""
        try:
            profile = validate_profile(Profile("", self.server.text(), self.email.text()))
        except ProfileError:
            self.show_error(
                self.tr("Check the server address (http:// or https://) and the e-mail.")
            )
            return
        if not self.password.text():
            self.show_error(self.tr("Type your password."))
            return
        self._set_busy(True)
        self._tasks.run(self._login(profile, self.password.text(), self.remember.isChecked()))

    async def _login(self, profile: Profile, password: str, remember: bool) -> None:
        try:
            session = await login(profile, password, DEVICE_NAME, remember=remember)
        except TooManyAttemptsError as exc:
            self.show_error(self._throttled_sentence(exc.retry_after_s or 1))
            return
        except AuthError:
            self.show_error(self.tr("Wrong e-mail or password."))
            self.password.selectAll()
            self.password.setFocus()
            return
        except ServerUnreachableError:
            self.show_error(
                self.tr(
                    "Cannot reach the server at {url}. Check the address and your network."
                ).format(url=profile.server_url)
            )
            return
        except ApiError as exc:
            self.show_error(describe_error(exc))
            return
        finally:
            self._set_busy(False)
        self.loggedIn.emit(session, remember)
        self.accept()

    def _throttled_sentence(self, seconds: int) -> str:
        """What to say when the server refuses logins for ``seconds`` (429)."""
        if seconds <= 1:
            return self.tr("Too many failed sign-ins. Try again in a second.")
        if seconds < 120:
            return self.tr("Too many failed sign-ins. Try again in {seconds} seconds.").format(
                seconds=seconds
            )
        return self.tr("Too many failed sign-ins. Try again in {minutes} minutes.").format(
            minutes=-(-seconds // 60)
        )

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.server, self.email, self.password, self.login_button):
            widget.setEnabled(not busy)
        self.login_button.setText(self.tr("Signing in…") if busy else self.tr("Sign in"))
        if busy:
            self.show_error("")
