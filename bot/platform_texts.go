package bot

// Texts the platform adapters store or show on the bot's behalf: stand-ins for
// messages that are not text, kept in the audit log, and the toasts that answer a
// click on a card button.
const (
	// TextImage stands for a photo.
	TextImage = "[图片]"
	// TextEnter stands for a user opening the app's chat (WeCom's enter_agent event).
	TextEnter = "[进入应用]"

	// ToastButtonExpired answers a click on a button that no longer works.
	ToastButtonExpired = "这个按钮已失效"
	// ToastNotYours answers a click on a question asked of someone else in a group.
	ToastNotYours = "这个问题是问别人的，由对方来选。"
)

// LocationText stands for a shared location, with the place's name.
func LocationText(label string) string { return "[位置] " + label }

// ToastChosen confirms the choice a click on a card button made.
func ToastChosen(choice string) string { return "已选择：" + choice }
