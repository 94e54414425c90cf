package sim

// hallNames name the first halls; later ones are numbered.
var hallNames = []string{"Основной зал", "Веранда", "Банкетный зал", "Бар", "Терраса"}

// comments are what a guest sometimes asks for on the phone; the first is
// none.
var comments = []string{
	"",
	"у окна",
	"день рождения",
	"с ребёнком, нужен стульчик",
	"тихое место",
	"аллергия на орехи",
}

// guestNames are invented guests: every first name with every surname,
// in the surname's female form for women.
var guestNames = func() []string {
	men := []string{"Алексей", "Дмитрий", "Иван", "Михаил", "Сергей", "Павел", "Артём"}
	women := []string{"Анна", "Мария", "Елена", "Ольга", "Татьяна", "Наталья", "Ксения"}
	surnames := []string{
		"Иванов", "Смирнов", "Кузнецов", "Попов", "Волков", "Соколов",
		"Лебедев", "Козлов", "Новиков", "Морозов", "Орлов", "Белов",
	}
	var names []string
	for _, s := range surnames {
		for _, m := range men {
			names = append(names, m+" "+s)
		}
		for _, w := range women {
			names = append(names, w+" "+s+"а")
		}
	}
	return names
}()
